using Formation.Cli.Fast;

// form-fast: `form` for the hot commands, compiled ahead of time (NativeAOT) so a command costs milliseconds of CPU
// before its request instead of the full CLI's JIT and assembly loading. It answers `form vm create|delete` in their
// plain form through a local silo's API socket when stdout is not a terminal (scripts, automation, the benchmark: the
// full CLI's output there is plain text); everything else, and anything that goes wrong in transport, it hands to the
// full CLI (HandOver) with the same command line. A command acting as a member account (a credential other than a
// silo's admin.credential) is handed over too: the local API acts as admin.
if (!Console.IsOutputRedirected
    || Environment.GetEnvironmentVariable("FORM_LOCAL_API") == "0"
    || Environment.GetEnvironmentVariable("FORM_DEBUG") == "1"
    || FastArgs.Parse(args) is not { } fast
    || Formation.Identity.CredentialPaths.ActsAsAccount(fast.Value("--credential")))
{
    return HandOver.Exec(args, inDoubt: false);
}

try
{
    return await FastCommands.RunAsync(fast, Console.Out, Console.Error);
}
catch (HandOverException handOver)
{
    return HandOver.Exec([.. args, .. handOver.ExtraArgs], handOver.InDoubt);
}
