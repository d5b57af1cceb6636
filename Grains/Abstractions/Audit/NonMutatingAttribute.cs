namespace Formation.Audit;

/// <summary>
/// Marks a grain interface method that only reads (lists, gets, waits for output). It is not recorded in the audit
/// trail. Saying so explicitly is what lets the coverage test tell "read-only" from "forgotten".
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class NonMutatingAttribute : Attribute;
