using Formation.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Formation.Silo.HttpApi;

/// <summary>
/// The routes of the HTTP API: the CLI's VM, node and image operations over the same grains and with the same errors,
/// events as server-sent events, and builds with their progress. Each concern is one partial file.
/// </summary>
public static partial class HttpApiEndpoints
{
    public static void Map(IEndpointRouteBuilder app, IClusterClient client, HttpApiOptions options, CancellationToken stopping)
    {
        var v1 = app.MapGroup("/v1");
        MapVms(v1, client);
        MapVmOperations(v1, client);
        MapNodes(v1, client);
        MapServices(v1, client);
        MapRoutes(v1, client);
        MapImages(v1, client);
        MapEvents(v1, client, stopping);
        MapBuilds(v1, client, options, stopping);
        MapAudit(v1, client);
    }

    /// <summary>Formation errors keep their kind and message; transport failures inside the cluster are 503, retryable.</summary>
    private static async Task<IResult> Run(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (FormationException ex)
        {
            return HttpApiError.Result(HttpApiError.StatusOf(ex.Kind), ex.Kind.ToString(), ex.Message);
        }
        catch (Exception ex) when (TransientFaults.IsTransient(ex))
        {
            return HttpApiError.Result(StatusCodes.Status503ServiceUnavailable, HttpApiError.Unavailable,
                $"a silo this request needed did not answer ({ex.GetType().Name}); retry shortly.");
        }
    }
}
