using Formation.Dashboard.Cluster;
using Formation.Vms;

namespace Formation.Dashboard.Hosting;

/// <summary><c>GET /vms/{vm}/console.log</c>: the VM's console output (every boot its capped log keeps), as <c>form vm logs</c> prints it.</summary>
public static class ConsoleLogEndpoint
{
    private const int ChunkSize = 256 * 1024;

    public static void MapConsoleLogDownload(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/vms/{vm}/console.log", async (string vm, FormationService formation, HttpContext http) =>
        {
            VmInfo info;
            try
            {
                info = (await formation.GetVmAsync(vm)).Vm;
            }
            catch (Exception ex)
            {
                return Results.Problem(FabricErrors.Describe(ex), statusCode: StatusCodes.Status404NotFound);
            }

            var console = formation.Console(new VmRef(info.Id, info.NodeId));
            http.Response.ContentType = "text/plain; charset=utf-8";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{info.Name}-console.log\"";
            long offset = 0;
            while (!http.RequestAborted.IsCancellationRequested)
            {
                var chunk = await console.ReadAsync(offset, ChunkSize, TimeSpan.Zero);
                await http.Response.Body.WriteAsync(chunk.Data, http.RequestAborted);
                offset = chunk.Next;
                if (chunk.Data.Length < ChunkSize)
                {
                    break; // the end of the log as it was: a guest that keeps printing does not keep the download open
                }
            }

            return Results.Empty;
        });
}
