using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Formation.Silo.Tests.HttpApi;

/// <summary>
/// Exec, snapshots and clones through the HTTP API of a real silo (sim driver): what is refused before anything runs,
/// and what a missing VM or snapshot answers. A real guest's exec, snapshot, restore and clone: <c>HttpApiQemuTests</c>.
/// </summary>
public sealed class HttpApiOperationsTests(HttpApiSilo api) : IClassFixture<HttpApiSilo>
{
    private readonly HttpClient _http = api.Http;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Exec_BadRequestsAndMissingVms_AreRefusedWithAReason()
    {
        Assert.Equal(HttpStatusCode.Created, (await PostAsync("/v1/vms", "{\"name\":\"ops-vm\",\"vCpus\":1,\"memoryMiB\":64,\"diskGiB\":0}")).StatusCode);

        Assert.StartsWith("command: give the program", await HttpApiSilo.AssertErrorAsync(
            await PostAsync("/v1/vms/ops-vm/exec", "{\"command\":[]}"), HttpStatusCode.BadRequest, "InvalidArgument"));
        Assert.StartsWith("command: give the program", await HttpApiSilo.AssertErrorAsync(
            await PostAsync("/v1/vms/ops-vm/exec", "{}"), HttpStatusCode.BadRequest, "InvalidArgument"));
        Assert.Contains("not NAME=value", await HttpApiSilo.AssertErrorAsync(
            await PostAsync("/v1/vms/ops-vm/exec", "{\"command\":[\"env\"],\"environment\":[\"NOEQUALS\"]}"), HttpStatusCode.BadRequest, "InvalidArgument"));
        Assert.StartsWith("timeoutSeconds: must be more than 0", await HttpApiSilo.AssertErrorAsync(
            await PostAsync("/v1/vms/ops-vm/exec", "{\"command\":[\"true\"],\"timeoutSeconds\":0}"), HttpStatusCode.BadRequest, "InvalidArgument"));
        Assert.StartsWith("timeoutSeconds: must be more than 0", await HttpApiSilo.AssertErrorAsync(
            await PostAsync("/v1/vms/ops-vm/exec", "{\"command\":[\"true\"],\"timeoutSeconds\":100000}"), HttpStatusCode.BadRequest, "InvalidArgument"));
        await HttpApiSilo.AssertErrorAsync(await PostAsync("/v1/vms/no-such-vm/exec", "{\"command\":[\"true\"]}"), HttpStatusCode.NotFound, "NotFound");

        // Stdin is a request body like any other: the API's 64 KiB limit holds.
        var bigStdin = $"{{\"command\":[\"cat\"],\"stdin\":\"{new string('x', 100_000)}\"}}";
        await HttpApiSilo.AssertErrorAsync(await PostAsync("/v1/vms/ops-vm/exec", bigStdin), HttpStatusCode.RequestEntityTooLarge, "TooLarge");
    }

    [Fact]
    public async Task Snapshots_MissingOnesAndBadRequests_AreRefusedWithAReason()
    {
        Assert.Empty(JsonNode.Parse(await _http.GetStringAsync("/v1/snapshots", Ct))!.AsArray());
        await HttpApiSilo.AssertErrorAsync(await _http.GetAsync("/v1/snapshots?vm=no-such-vm", Ct), HttpStatusCode.NotFound, "NotFound");
        Assert.Contains("there is no snapshot 'nope'", await HttpApiSilo.AssertErrorAsync(
            await _http.DeleteAsync("/v1/snapshots/nope", Ct), HttpStatusCode.NotFound, "NotFound"));
        await HttpApiSilo.AssertErrorAsync(await PostAsync("/v1/vms/no-such-vm/snapshots", "{}"), HttpStatusCode.NotFound, "NotFound");
        await HttpApiSilo.AssertErrorAsync(await PostAsync("/v1/vms/no-such-vm/restore", "{\"snapshot\":\"s\"}"), HttpStatusCode.NotFound, "NotFound");
        Assert.StartsWith("snapshot: give one", await HttpApiSilo.AssertErrorAsync(
            await PostAsync("/v1/vms/no-such-vm/restore", "{\"snapshot\":\" \"}"), HttpStatusCode.BadRequest, "InvalidArgument"));

        // A clone of a snapshot nobody has is refused, and no VM is left behind.
        var clone = await PostAsync("/v1/vms", "{\"name\":\"ops-clone\",\"fromSnapshot\":\"nope\"}");
        Assert.True(clone.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, await clone.Content.ReadAsStringAsync(Ct));
        await HttpApiSilo.AssertErrorAsync(await _http.GetAsync("/v1/vms/ops-clone", Ct), HttpStatusCode.NotFound, "NotFound");
    }

    private Task<HttpResponseMessage> PostAsync(string path, string json) =>
        _http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), Ct);
}
