using System.CommandLine;
using System.Security.Cryptography;
using Formation.Cli.Output;
using Formation.Identity;

namespace Formation.Cli.Commands;

/// <summary><c>form login --credential FILE</c> (make it this user's default) and <c>form whoami</c>.</summary>
public static class LoginCommands
{
    public static Command Login(FormApp app)
    {
        var command = new Command("login", "Make a credential this user's default (copied, mode 0600, to ~/.config/formation/credential)");
        command.SetAction((parse, _) =>
        {
            try
            {
                var file = parse.GetValue(app.Credential)
                    ?? throw Errors.FormationException.Invalid("name the credential to log in with: form login --credential FILE (an admin makes one with `form account create NAME`).");
                using var credential = ClusterCredential.Load(file);
                var target = CredentialPaths.User();
                credential.Write(target);
                app.Terminal.Out.WriteLine($"Logged in as '{credential.Name}': {target} is now your default credential.");
                return Task.FromResult(ExitCodes.Ok);
            }
            catch (Exception ex)
            {
                return Task.FromResult(app.Fail(ex));
            }
        });
        return command;
    }

    public static Command WhoAmI(FormApp app)
    {
        var json = FormApp.JsonOption();
        var command = new Command("whoami", "Show the account this credential acts as, as the cluster sees it") { json };
        command.SetAction((parse, ct) =>
        {
            var path = CredentialPaths.Resolve(parse.GetValue(app.Credential), out var source);
            return app.WithClusterAsync(parse, ct, async client =>
            {
                var caller = await client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).WhoAmIAsync();
                using var credential = path is null ? null : ClusterCredential.Load(path);
                var fingerprint = credential is null ? "" : Convert.ToHexStringLower(SHA256.HashData(credential.Certificate.RawData));
                var whoami = new WhoAmIReport(caller.Account, caller.IsAdmin ? "admin" : "member", path, source, credential?.Certificate.SerialNumber, fingerprint,
                    credential?.Certificate.NotAfter.ToUniversalTime());
                if (parse.GetValue(json))
                {
                    Json.Write(app.Terminal.Out, whoami);
                    return ExitCodes.Ok;
                }

                app.Terminal.Out.WriteLine($"Account:     {whoami.Account} ({whoami.Role})");
                app.Terminal.Out.WriteLine($"Credential:  {path ?? "-"} ({source})");
                app.Terminal.Out.WriteLine($"Serial:      {whoami.Serial}");
                app.Terminal.Out.WriteLine($"Fingerprint: sha256 {fingerprint}");
                app.Terminal.Out.WriteLine($"Expires:     {whoami.Expires:u}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    /// <summary>What <c>form whoami --json</c> prints.</summary>
    public sealed record WhoAmIReport(string Account, string Role, string? Credential, string Source, string? Serial, string Fingerprint, DateTime? Expires);
}
