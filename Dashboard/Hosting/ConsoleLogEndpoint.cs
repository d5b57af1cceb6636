using Formation.Dashboard.Cluster;
using Formation.Vms;

namespace Formation.Dashboard.Hosting;

/// <summary><c>GET /vms/{vm}/console.log</c>: the VM's whole console output (every boot), as <c>form vm logs</c> prints it.</summary>
public static class ConsoleLogEndpoint
{
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
                var chunk = await console.ReadAsync(offset, 256 * 1024, TimeSpan.Zero);
                if (chunk.Data.Length == 0)
                {
                    break;
                }

                await http.Response.Body.WriteAsync(chunk.Data, http.RequestAborted);
                offset = chunk.Next;
            }

            return Results.Empty;
        });
}
