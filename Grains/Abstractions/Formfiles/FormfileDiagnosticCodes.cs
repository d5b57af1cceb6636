namespace Formation.Formfiles;

/// <summary>Stable codes of Formfile diagnostics (documented, tested, never renumbered).</summary>
public static class FormfileDiagnosticCodes
{
    /// <summary>A directive the Formfile language does not have.</summary>
    public const string UnknownDirective = "FF001";

    /// <summary>A directive without the argument(s) it needs.</summary>
    public const string MissingArgument = "FF002";

    /// <summary>An argument that is malformed or outside its allowed range.</summary>
    public const string InvalidValue = "FF003";

    /// <summary>A directive or field given more often than allowed.</summary>
    public const string Duplicate = "FF004";

    /// <summary>A required directive or field is missing.</summary>
    public const string Required = "FF005";

    /// <summary>Quoting or JSON syntax error.</summary>
    public const string Syntax = "FF006";

    /// <summary>A line continuation (<c>\</c>) at the end of the file.</summary>
    public const string DanglingContinuation = "FF007";

    /// <summary>Directives that do not fit together (e.g. <c>INSTALL</c> with <c>FROM tiny</c>).</summary>
    public const string Conflict = "FF008";

    /// <summary>A path that would leave the build context or the image root.</summary>
    public const string UnsafePath = "FF009";

    /// <summary>The Formfile as a whole is too large.</summary>
    public const string TooLarge = "FF010";

    /// <summary>Something is accepted but probably not what was meant (warning).</summary>
    public const string Suspicious = "FF011";

    /// <summary>A parser defect; never expected (the fuzz test asserts it never appears).</summary>
    public const string Internal = "FF999";
}
