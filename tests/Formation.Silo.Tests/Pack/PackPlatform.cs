// Tests of the Linux-only image builder.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
