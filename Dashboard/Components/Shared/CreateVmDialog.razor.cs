using Formation.Dashboard.Cluster;
using Formation.Formfiles;
using Formation.Images;
using Formation.Nodes;
using Formation.Vms;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Formation.Dashboard.Components.Shared;

/// <summary>
/// <c>form vm create</c> as a dialog: the same defaults, the same rules (<see cref="VmSpecRules"/>) with their messages
/// under the fields, and the cluster's answer (no capacity, duplicate name) in the dialog. Closes with the created VM.
/// </summary>
public sealed partial class CreateVmDialog
{
    private string _name = "";
    private string? _image;
    private int _vcpus = 1;
    private long _memory = 512;
    private long _disk = 10;
    private string? _node;
    private RestartPolicy _restart = RestartPolicy.Never;
    private string _console = "image";
    private IReadOnlyList<string> _images = [];
    private IReadOnlyList<string> _nodes = [];
    private IReadOnlyList<VmSpecProblem> _problems = [];
    private bool _submitted;
    private bool _busy;
    private string? _error;

    [CascadingParameter]
    private IMudDialogInstance Dialog { get; set; } = null!;

    [Inject]
    private FormationService Formation { get; set; } = null!;

    protected override async Task OnInitializedAsync()
    {
        try
        {
            var images = await Formation.ListImagesAsync();
            _images = [.. images.Where(i => i.State == ImageBuildState.Ready).Select(i => i.Reference)];
            var nodes = await Formation.ListNodesAsync();
            _nodes = [.. nodes.Where(n => n.Health == NodeHealth.Healthy).Select(n => n.NodeId)];
        }
        catch (Exception ex)
        {
            _error = FabricErrors.Describe(ex);
        }
    }

    /// <summary>The spec as typed (names trimmed; empty selections are "any").</summary>
    public VmSpec Spec => new(_name.Trim(), _vcpus, _memory, _disk, string.IsNullOrWhiteSpace(_image) ? null : _image.Trim(),
        string.IsNullOrWhiteSpace(_node) ? null : _node.Trim(), _restart,
        Console: ConsoleModes.TryParse(_console, out var mode) ? mode : null);

    private IReadOnlyList<VmSpecProblem> Problems => _submitted ? VmSpecRules.Check(Spec) : _problems;

    private bool HasProblem(VmSpecField field) => Problems.Any(p => p.Field == field);

    private string? ProblemOf(VmSpecField field) => Problems.FirstOrDefault(p => p.Field == field)?.ForForm;

    private void Cancel() => Dialog.Cancel();

    private async Task SubmitAsync()
    {
        _submitted = true;
        _error = null;
        var spec = Spec;
        if (VmSpecRules.Check(spec).Count > 0)
        {
            return;
        }

        _busy = true;
        try
        {
            var created = await Formation.CreateVmAsync(spec);
            Dialog.Close(DialogResult.Ok(created));
        }
        catch (Exception ex)
        {
            _error = FabricErrors.Describe(ex);
        }
        finally
        {
            _busy = false;
        }
    }
}
