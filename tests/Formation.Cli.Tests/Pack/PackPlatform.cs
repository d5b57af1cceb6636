// The pack CLI tests use Unix file modes, symlinks and FIFOs.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
