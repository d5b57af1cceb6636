using Formation.Kvm.Native.Interop;
using Formation.Kvm.Native.Machine;
using Formation.Vmm;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Logging;

var options = Options.Parse(args, out var usageError);
if (options is null)
{
    Console.Error.WriteLine(string.IsNullOrEmpty(usageError) ? Options.Usage : $"formation-vmm: {usageError}\n\n{Options.Usage}");
    return string.IsNullOrEmpty(usageError) ? 0 : (int)ExitReason.UsageError;
}

if (!options.NoSetsid)
{
    Sys.NewSession();
}

TextWriter logWriter = options.LogFile is null ? Console.Error : new StreamWriter(options.LogFile, append: true);
var logger = new StderrLogger(logWriter, options.Verbose ? LogLevel.Debug : LogLevel.Information);

VmmConfig file;
try
{
    file = VmConfigFile.Load(options.ConfigPath);
    MachineBuilder.Validate(file.ToMachineConfig());
}
catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
{
    logger.LogError("{Message}", e.Message);
    return (int)ExitReason.UsageError;
}

return await VmmHost.RunAsync(file, options.Boot, new VmmJail(options.RunAsUid, options.RunAsGid, options.Seccomp), options.TestingSeccompProbe, logger);
