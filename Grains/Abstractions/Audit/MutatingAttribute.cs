namespace Formation.Audit;

/// <summary>
/// Marks a grain interface method that changes state on a caller's behalf. The silo's audit filter records each call to
/// one made by a user (not the silo's own work), once per request: who, what, on which key, when, the outcome and how long
/// it took. Every method of a Formation grain interface carries this or <see cref="NonMutatingAttribute"/>; a test over
/// this assembly fails for a method that carries neither, so a new command cannot slip past the audit trail unnoticed.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class MutatingAttribute : Attribute
{
    /// <summary>
    /// True for a step inside a session whose opening call is recorded (upload chunks, console keystrokes, exec input):
    /// recording each would flood the trail with rows that say nothing new, and keystrokes may be passwords.
    /// </summary>
    public bool Quiet { get; init; }
}
