using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Formation.Cli.Output;
using Formation.Identity;

namespace Formation.Cli.Commands;

/// <summary>
/// <c>form account create|list|show|delete|revoke-key</c>. A new account's key pair is made here, on the user's machine;
/// only a certificate signing request goes to the cluster, and the credential file is written 0600.
/// </summary>
public static class AccountCommands
{
    public static Command Create(FormApp app)
    {
        var account = new Command("account", "Accounts and their credentials (admins)");
        account.Subcommands.Add(CreateCommand(app));
        account.Subcommands.Add(List(app));
        account.Subcommands.Add(Show(app));
        account.Subcommands.Add(Delete(app));
        account.Subcommands.Add(RevokeKey(app));
        return account;
    }

    private static Command CreateCommand(FormApp app)
    {
        var name = new Argument<string>("name") { Description = "The account's name (lower-case letters, digits, '-')" };
        var admin = new Option<bool>("--admin") { Description = "Make the account an admin (may manage accounts and see everything)" };
        var output = new Option<string?>("--out") { Description = "Where to write the credential (default: ~/.config/formation/credentials/NAME.credential)", HelpName = "file" };
        var command = new Command("create", "Make an account and a credential for it (admins only)") { name, admin, output };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var accountName = parse.GetValue(name)!;
            var path = parse.GetValue(output) ?? CredentialPaths.Account(accountName);
            if (File.Exists(path))
            {
                throw Errors.FormationException.Conflict($"'{path}' exists already: choose another file with --out, or move it away first.");
            }

            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var csr = new CertificateRequest($"CN={accountName}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
            var issued = await client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).CreateAsync(accountName, parse.GetValue(admin), csr);
            using var credential = Assemble(issued, key);
            credential.Write(path);
            app.Terminal.Out.WriteLine($"Account '{accountName}' ({(parse.GetValue(admin) ? "admin" : "member")}) made; its credential is in {path} (mode 0600).");
            app.Terminal.Out.WriteLine($"Give it to its user, who runs: form login --credential {Path.GetFileName(path)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List(FormApp app)
    {
        var json = FormApp.JsonOption();
        var command = new Command("list", "List the cluster's accounts (admins only)") { json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var accounts = await client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).ListAsync();
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, accounts);
                return ExitCodes.Ok;
            }

            var table = new TextTable("ACCOUNT", "ROLE", "KEYS", "REVOKED", "CREATED");
            foreach (var a in accounts)
            {
                table.Add(a.Name, a.IsAdmin ? "admin" : "member", a.Keys.Count(k => k.Revoked is null).ToString(), a.Keys.Count(k => k.Revoked is not null).ToString(),
                    a.Created.ToString("u"));
            }

            app.Terminal.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Show(FormApp app)
    {
        var name = new Argument<string>("name") { Description = "The account" };
        var json = FormApp.JsonOption();
        var command = new Command("show", "Show an account and its credentials") { name, json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var account = await client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).GetAsync(parse.GetValue(name)!);
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, account);
                return ExitCodes.Ok;
            }

            app.Terminal.Out.WriteLine($"Account:  {account.Name}");
            app.Terminal.Out.WriteLine($"Role:     {(account.IsAdmin ? "admin" : "member")}");
            app.Terminal.Out.WriteLine($"Created:  {account.Created:u}");
            var table = new TextTable("SERIAL", "FINGERPRINT", "CREATED", "EXPIRES", "REVOKED");
            foreach (var k in account.Keys)
            {
                table.Add(k.Serial, k.Fingerprint[..16], k.Created.ToString("u"), k.Expires.ToString("u"), k.Revoked?.ToString("u") ?? "-");
            }

            app.Terminal.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Delete(FormApp app)
    {
        var name = new Argument<string>("name") { Description = "The account" };
        var deleteResources = new Option<bool>("--delete-resources")
        {
            Description = "First delete the account's services, VMs, routes and snapshots (without it, an account that owns any is not deleted)",
        };
        var command = new Command("delete", "Revoke every credential of an account and remove it (admins only)") { name, deleteResources };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var registry = client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster);
            var account = parse.GetValue(name)!;
            if (parse.GetValue(deleteResources))
            {
                // A member sees only its own resources: refuse before deleting any, not after, at the registry.
                var me = await registry.WhoAmIAsync();
                if (!me.IsAdmin)
                {
                    throw new Errors.FormationException(Errors.ErrorKind.PermissionDenied,
                        $"`form account delete --delete-resources` is for admins, and account '{me.Account}' is a member: ask an admin.");
                }

                await registry.GetAsync(account); // NotFound before anything is deleted
                var failures = await AccountDeletion.DeleteResourcesAsync(client, account, app.Terminal.Out, ct);
                if (failures.Count > 0)
                {
                    var left = await AccountHoldings.ListAsync(client, account);
                    throw new Errors.FormationException(Errors.ErrorKind.Conflict,
                        $"account '{account}' was not deleted: it still owns {left.Describe()}. These deletions failed:\n  " +
                        string.Join("\n  ", failures) + $"\nFix them (or wait) and run `form account delete {account} --delete-resources` again.");
                }
            }

            var deleted = await registry.DeleteAsync(account);
            app.Terminal.Out.WriteLine($"Account '{deleted.Name}' deleted; its {deleted.Keys.Count} credential(s) are refused from now on.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command RevokeKey(FormApp app)
    {
        var name = new Argument<string>("name") { Description = "The account" };
        var serial = new Option<string?>("--serial") { Description = "Revoke only the credential with this certificate serial (default: all of the account's)", HelpName = "hex" };
        var command = new Command("revoke-key", "Revoke an account's credential(s); every silo refuses them within seconds (admins only)") { name, serial };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var revoked = await client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).RevokeAsync(parse.GetValue(name)!, parse.GetValue(serial));
            app.Terminal.Out.WriteLine(revoked.Count == 0
                ? "Nothing to revoke: those credentials were revoked already."
                : $"Revoked {revoked.Count} credential(s): {string.Join(", ", revoked)}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The credential file's content: the signed certificate with the key made here, and the CA to pin.</summary>
    private static ClusterCredential Assemble(AccountCredentialIssued issued, ECDsa key)
    {
        using var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem);
        using var ca = X509Certificate2.CreateFromPem(issued.CaPem);
        if (!CaPin.IsIssuedBy(certificate, ca) || !certificate.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new CredentialException("the cluster answered with a certificate that is not for the key made here or not from its CA; nothing was written.");
        }

        using var withKey = certificate.CopyWithPrivateKey(key);
        return ClusterCredential.From(withKey, ca);
    }
}
