using System.Text;
using Formation.Dashboard.Cluster;
using Formation.Vms;
using Microsoft.AspNetCore.Components;

namespace Formation.Dashboard.Components.Shared;

/// <summary><c>form vm exec VM -- sh -c '…'</c> from the VM's page: one command at a time, to its end or a minute.</summary>
public sealed partial class VmExecPanel : IDisposable
{
    private readonly CancellationTokenSource _gone = new();
    private string _command = "";
    private string _ran = "";
    private bool _running;
    private string? _problem;
    private ExecCompleted? _result;

    [Parameter, EditorRequired]
    public VmRef Vm { get; set; } = null!;

    [Inject]
    private FormationService Formation { get; set; } = null!;

    private async Task RunAsync()
    {
        if (_running || string.IsNullOrWhiteSpace(_command))
        {
            return;
        }

        _running = true;
        _problem = null;
        _ran = _command;
        try
        {
            _result = await Formation.ExecAsync(Vm, _command, VmExecPanelLimits.Timeout, _gone.Token);
        }
        catch (OperationCanceledException) when (_gone.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _result = null;
            _problem = FabricErrors.Describe(ex);
        }
        finally
        {
            _running = false;
        }
    }

    /// <summary>Standard output, then standard error (their interleaving is not kept by exec).</summary>
    private static string Output(ExecCompleted run) => Encoding.UTF8.GetString(run.Stdout) + Encoding.UTF8.GetString(run.Stderr);

    public void Dispose()
    {
        _gone.Cancel();
        _gone.Dispose();
    }
}
