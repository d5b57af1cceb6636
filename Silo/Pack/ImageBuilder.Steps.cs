using Formation.Formfiles;
using Formation.Images;
using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>The build steps: base, Formfile steps, guest configuration, root filesystem, registration.</summary>
public sealed partial class ImageBuilder
{
    private async Task<ImageManifest> BuildStepsAsync(
        Formfile formfile, BuildContext context, string tag, BuildReporter reporter, string formfileText, BuildDisk? disk, CancellationToken cancellationToken)
    {
        var layerSteps = formfile.Instructions.Count(i => i is RunInstruction or CopyInstruction or InstallInstruction or UserInstruction);
        if (layerSteps + 2 > MaxLayers)
        {
            throw new BuildStepException($"the Formfile has {layerSteps} RUN/COPY/INSTALL/USER steps; at most {MaxLayers - 2} are supported — join RUN lines with &&");
        }

        // Step 1: the base.
        reporter.Begin(1, $"FROM {formfile.From}", 0);
        HostTools.Require(formfile.From.Kind);
        var baseKey = await _bases.KeyAsync(formfile.From, cancellationToken);
        if (GuestAgentLocator.TryResolve(_options) is null)
        {
            reporter.Warning($"no guest agent at {GuestAgentLocator.CandidatePath(_options)} (run scripts/build-guest-agent or set {GuestAgentLocator.EnvironmentVariable}); 'form vm exec' will not work in this image");
        }

        if (_layers.Exists(baseKey))
        {
            reporter.Cached();
        }
        else
        {
            reporter.StepStarted();
            await _bases.EnsureAsync(formfile.From, baseKey, reporter.Output, cancellationToken);
            reporter.Completed();
        }

        var stack = new List<string> { baseKey };
        var chain = baseKey;
        var environment = IsolatedRunner.BaseEnvironment();
        var workdir = "/";
        var uids = new Dictionary<string, int>(StringComparer.Ordinal);

        // Steps 2..n+1: the Formfile's build steps in order.
        for (var i = 0; i < formfile.Instructions.Length; i++)
        {
            var instruction = formfile.Instructions[i];
            reporter.Begin(i + 2, instruction.Text, instruction.Location.Line);
            chain = PackDigest.Key(chain, instruction.Text);
            IsolatedCommand? command = null;
            switch (instruction)
            {
                case EnvInstruction env:
                    foreach (var variable in env.Variables.Where(v => v.Scope == EnvScopeKind.System))
                    {
                        environment[variable.Name] = variable.Value;
                    }

                    reporter.Completed("recorded");
                    continue;
                case WorkdirInstruction wd:
                    workdir = wd.Path;
                    reporter.Completed("recorded");
                    continue;
                case RunInstruction run:
                    command = new IsolatedCommand([], "", StepCommands.Run(run, workdir), new Dictionary<string, string>(environment));
                    break;
                case InstallInstruction install:
                    command = new IsolatedCommand([], "", StepCommands.Install(install),
                        new Dictionary<string, string>(environment) { ["DEBIAN_FRONTEND"] = "noninteractive" }, Network: true);
                    break;
                case UserInstruction user:
                    command = new IsolatedCommand([], "", AccountScript.Argv(user.User, formfile.From.Kind), IsolatedRunner.BaseEnvironment());
                    break;
                case CopyInstruction copy:
                    var entries = context.Resolve(copy);
                    chain = PackDigest.Key(chain, await BuildContext.DigestAsync(entries, cancellationToken));
                    command = new IsolatedCommand([], "", StepCommands.Copy(copy), IsolatedRunner.BaseEnvironment(),
                        Stdin: (stream, ct) => BuildContext.WriteTarAsync(entries, stream, ct));
                    break;
            }

            // The recipe (scripts and arguments run in the image) is part of the key, so a builder fix invalidates old layers.
            // USER's arguments carry a freshly salted hash: only its script is keyed (the instruction text covers the rest).
            chain = PackDigest.Key(chain, instruction is UserInstruction ? AccountScript.Recipe : string.Join('\0', command!.Argv));
            var info = await EnsureLayerAsync(chain, instruction.Text, stack, command!, reporter, disk, cancellationToken);
            foreach (var (property, value) in info.Properties.Where(p => p.Key.StartsWith("uid:", StringComparison.Ordinal)))
            {
                uids[property[4..]] = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }

            stack.Add(chain);
        }

        // Step n+2: the guest configuration (init, entrypoint, environment, hostname).
        reporter.Begin(formfile.Instructions.Length + 2, "configure guest (init, entrypoint, environment, hostname)", 0);
        var config = new GuestConfig(formfile);
        chain = PackDigest.Key(chain, "guest-config", config.Digest());
        await EnsureLayerAsync(chain, "guest configuration", stack,
            new IsolatedCommand([], "", config.Argv(), IsolatedRunner.BaseEnvironment(), Stdin: config.WriteTarAsync), reporter, disk, cancellationToken);
        stack.Add(chain);

        // Step n+3: the root filesystem.
        var kind = formfile.From.Kind == BaseImageKind.Tiny ? ImageArtifactKind.Initramfs : ImageArtifactKind.Ext4Disk;
        reporter.Begin(formfile.Instructions.Length + 3,
            kind == ImageArtifactKind.Initramfs ? "assemble initramfs" : $"assemble ext4 root disk ({formfile.Resources.DiskGiB} GB)", 0);
        var artifactKey = PackDigest.Key(chain, kind.ToString(), kind == ImageArtifactKind.Ext4Disk ? formfile.Resources.DiskGiB.ToString(System.Globalization.CultureInfo.InvariantCulture) : "", RootfsAssembler.Recipe);
        var artifact = await _assembler.TryGetAsync(artifactKey, cancellationToken);
        if (artifact is null)
        {
            reporter.StepStarted();
            artifact = await _assembler.AssembleAsync(artifactKey, [.. Enumerable.Reverse(stack)], kind, formfile.Resources.DiskGiB, reporter.Output, cancellationToken);
            reporter.Completed();
        }
        else
        {
            reporter.Cached();
        }

        var kernel = await GuestKernelLocator.TryReferenceAsync(_options, cancellationToken);
        if (kernel is null)
        {
            reporter.Warning($"no guest kernel at {GuestKernelLocator.CandidatePath(_options)} (run scripts/build-guest-kernel or set {GuestKernelLocator.EnvironmentVariable}); the image records no kernel");
        }

        var manifest = new ImageManifest
        {
            Name = formfile.Name,
            Description = formfile.Description,
            Base = formfile.From,
            CreatedAt = DateTimeOffset.UtcNow,
            Kernel = kernel,
            KernelCommandLine = kind == ImageArtifactKind.Initramfs ? "console=ttyS0" : "console=ttyS0 root=/dev/vda rw",
            RootFilesystem = new ImageArtifact(kind, artifact.FileName, artifact.Digest, artifact.SizeBytes),
            Entrypoint = formfile.Entrypoint,
            Environment = formfile.Environment,
            Workdir = formfile.Workdir,
            Users = [.. formfile.Users.Select(u => new Formation.Images.ImageUser(u.Username, uids.GetValueOrDefault(u.Username), u.Groups, u.Sudo,
                AccountScript.DefaultShell(u, formfile.From.Kind), u.SshAuthorizedKeys.Length, u.LockPassword || u.Password is null))],
            ExposedPorts = formfile.ExposedPorts,
            Resources = formfile.Resources,
            Layers = [.. stack],
            FormfileDigest = PackDigest.Format(PackDigest.Hex(formfileText)),
            Console = formfile.Console,
            Health = formfile.Health,
        };
        var registered = await _store.RegisterAsync(manifest, _assembler.PathOf(artifact), cancellationToken);
        await _store.TagAsync(registered.Digest, tag, cancellationToken);
        return registered;
    }

    /// <summary>
    /// Returns the cached layer for <paramref name="key"/>, or runs <paramref name="command"/> (writing onto the
    /// build's <paramref name="disk"/>, when it has one) and commits its result.
    /// </summary>
    private async Task<LayerInfo> EnsureLayerAsync(
        string key, string description, List<string> stack, IsolatedCommand command, BuildReporter reporter, BuildDisk? disk, CancellationToken cancellationToken)
    {
        if (await _layers.ReadAsync(key, cancellationToken) is { } cached)
        {
            _metrics?.Layer(hit: true);
            reporter.Cached();
            foreach (var warning in cached.Properties.Where(p => p.Key.StartsWith("warning:", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                reporter.Warning(warning.Value);
            }

            return cached;
        }

        _metrics?.Layer(hit: false);
        reporter.StepStarted();
        var staging = _layers.BeginStaging("layer");
        try
        {
            var properties = new Dictionary<string, string>(StringComparer.Ordinal);
            var upper = Path.Combine(staging, "root");
            var written = disk is null ? upper : Path.Combine(await disk.NewStepDirectoryAsync(cancellationToken), "root");
            var result = await _runner.RunAsync(
                command with { LowerLayers = [.. Enumerable.Reverse(stack)], UpperDirectory = written },
                line =>
                {
                    if (line.StartsWith(AccountScript.UidMarker, StringComparison.Ordinal) && line.Split(' ') is [_, var name, var uid])
                    {
                        properties["uid:" + name] = uid;
                    }
                    else if (line.StartsWith(AccountScript.WarningMarker, StringComparison.Ordinal))
                    {
                        var warning = line[AccountScript.WarningMarker.Length..];
                        properties[$"warning:{properties.Count:D4}"] = warning;
                        reporter.Warning(warning);
                        return;
                    }

                    reporter.Output(line);
                },
                cancellationToken);
            if (result.ExitCode != 0 && disk is { IsFull: true })
            {
                throw new BuildStepException($"the step ran out of disk space: a build may write at most {disk.LimitText}", result.ExitCode, result.OutputTail);
            }

            if (result.ExitCode != 0)
            {
                throw new BuildStepException(
                    result.TimedOut ? $"the step ran longer than {_options.StepTimeout}" : $"the command exited with status {result.ExitCode}",
                    result.ExitCode, result.OutputTail);
            }

            if (disk is not null)
            {
                await BuildDisk.CopyOutAsync(written, upper, cancellationToken);
            }

            var info = new LayerInfo(key, description, DateTimeOffset.UtcNow, properties);
            await _layers.CommitAsync(staging, info, cancellationToken);
            reporter.Completed();
            return info;
        }
        finally
        {
            HostPaths.DeleteTree(staging);
        }
    }
}
