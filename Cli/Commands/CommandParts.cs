using System.CommandLine;
using Formation.Formfiles;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary>Arguments and options that several commands take, defined once so they read and parse the same.</summary>
public static class CommandParts
{
    public static Argument<string?> DirectoryArgument() =>
        new("dir") { Description = "Build context directory (default: the current directory)", Arity = ArgumentArity.ZeroOrOne };

    public static Option<string?> FileOption() =>
        new("--file", "-f") { Description = "The Formfile (default: DIR/Formfile)", HelpName = "path" };

    public static Argument<string> VmArgument() => new("vm") { Description = "VM id or name" };

    public static Option<RestartPolicy> RestartOption() => new("--restart")
    {
        Description = "When the VM stops on its own: never (default), on-failure, always",
        HelpName = "policy",
        CustomParser = result => result.Tokens.Single().Value switch
        {
            "never" => RestartPolicy.Never,
            "on-failure" => RestartPolicy.OnFailure,
            "always" => RestartPolicy.Always,
            var other => Fail(result, other),
        },
    };

    public static Option<ConsoleMode?> ConsoleOption() => new("--console")
    {
        Description = "What answers on the serial console: shell or none (default: the image's CONSOLE, else shell)",
        HelpName = "mode",
        CustomParser = result =>
        {
            var word = result.Tokens.Single().Value;
            if (ConsoleModes.TryParse(word, out var mode))
            {
                return mode;
            }

            result.AddError($"--console '{word}' is not a console mode: use shell or none.");
            return null;
        },
    };

    public static Option<bool> NoEgressOption() =>
        new("--no-egress") { Description = "Drop the VM's traffic to anything outside the VM network (VM-to-VM traffic stays)" };

    /// <summary><c>--publish HOSTPORT:GUESTPORT[/udp]</c>, repeatable; checked by <see cref="PortPublish.TryParse"/>.</summary>
    public static Option<PortPublish[]> PublishOption() => new("--publish", "-p")
    {
        Description = "Forward a port of the VM's node to the VM: HOSTPORT:GUESTPORT[/udp] (repeatable)",
        HelpName = "host:guest",
        Arity = ArgumentArity.OneOrMore,
        CustomParser = result =>
        {
            var ports = new List<PortPublish>();
            foreach (var token in result.Tokens)
            {
                if (!PortPublish.TryParse(token.Value, out var port, out var problem))
                {
                    result.AddError(problem);
                    return [];
                }

                ports.Add(port);
            }

            return [.. ports];
        },
    };

    private static RestartPolicy Fail(System.CommandLine.Parsing.ArgumentResult result, string value)
    {
        result.AddError($"--restart '{value}' is not a policy: use never, on-failure or always.");
        return RestartPolicy.Never;
    }
}
