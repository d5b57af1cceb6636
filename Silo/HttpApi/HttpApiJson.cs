using System.Text.Json;
using System.Text.Json.Serialization;
using Formation.Images;
using Formation.LocalApi;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Silo.HttpApi;

/// <summary>Source-generated JSON for the HTTP API (camelCase, enums as strings), shared with the OpenAPI document.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateVmRequest))]
[JsonSerializable(typeof(HttpApiError))]
[JsonSerializable(typeof(IReadOnlyList<Formation.Audit.AuditEntry>))]
[JsonSerializable(typeof(VmInfo))]
[JsonSerializable(typeof(VmDetail))]
[JsonSerializable(typeof(VmEvent))]
[JsonSerializable(typeof(NodeEvent))]
[JsonSerializable(typeof(IReadOnlyList<VmSummary>))]
[JsonSerializable(typeof(IReadOnlyList<NodeStatus>))]
[JsonSerializable(typeof(IReadOnlyList<ImageStatus>))]
[JsonSerializable(typeof(ImageDetail))]
[JsonSerializable(typeof(ImageDeletion))]
[JsonSerializable(typeof(BuildStarted))]
[JsonSerializable(typeof(BuildProgress))]
[JsonSerializable(typeof(ImageBuildUpdate))]
[JsonSerializable(typeof(DeployServiceRequest))]
[JsonSerializable(typeof(ScaleServiceRequest))]
[JsonSerializable(typeof(AddRouteRequest))]
[JsonSerializable(typeof(Formation.Services.ServiceInfo))]
[JsonSerializable(typeof(IReadOnlyList<Formation.Services.ServiceSummary>))]
[JsonSerializable(typeof(Formation.Edge.EdgeRoute))]
[JsonSerializable(typeof(IReadOnlyList<Formation.Edge.EdgeRoute>))]
[JsonSerializable(typeof(ExecVmRequest))]
[JsonSerializable(typeof(ExecVmResponse))]
[JsonSerializable(typeof(TakeSnapshotRequest))]
[JsonSerializable(typeof(RestoreVmRequest))]
[JsonSerializable(typeof(Formation.Snapshots.SnapshotInfo))]
[JsonSerializable(typeof(IReadOnlyList<Formation.Snapshots.SnapshotInfo>))]
public sealed partial class HttpApiJson : JsonSerializerContext;
