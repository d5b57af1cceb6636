using Formation.Images;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Formation.Silo.HttpApi;

public static partial class HttpApiEndpoints
{
    /// <summary><c>form image list|show|delete</c>.</summary>
    private static void MapImages(RouteGroupBuilder v1, IClusterClient grains)
    {
        v1.MapGet("/images", () => Run(async () => Results.Ok(await ImageReads.ListAsync(grains))))
            .WithSummary("Images: state, digest, size and the nodes that hold them").Produces<IReadOnlyList<ImageStatus>>();
        v1.MapGet("/images/{reference}", (string reference) => Run(async () =>
        {
            var (status, manifest) = await ImageReads.GetAsync(grains, reference);
            return Results.Ok(new ImageDetail(status, manifest));
        })).WithSummary("One image (name or name:tag): status and manifest").Produces<ImageDetail>().ProducesError(404);
        v1.MapDelete("/images/{reference}", (string reference) => Run(async () => Results.Ok(await grains.GetGrain<IImageGrain>(reference).DeleteAsync())))
            .WithSummary("Delete an image from every node that holds it (refused while a VM uses it)").Produces<ImageDeletion>().ProducesError(404, 409);
    }
}
