using System.Text;
using Formation.Dashboard.Cluster;
using Formation.Vms;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace Formation.Dashboard.Components.Shared;

/// <summary>
/// Attaches an xterm.js terminal to a VM's console grain, as <c>form vm console</c> does: the recent output first, then a
/// read loop that follows the console log by offset (so nothing is missed or repeated), and keystrokes written to the
/// guest. The loop is cancelled and awaited when the component goes away.
/// </summary>
public sealed partial class VmTerminal : IAsyncDisposable
{
    private const int Recent = 16 * 1024;

    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _typing = new(1, 1);
    private ElementReference _element;
    private DotNetObjectReference<VmTerminal>? _self;
    private int _terminal;
    private Task _reader = Task.CompletedTask;
    private string? _error;

    [Parameter, EditorRequired]
    public VmRef Vm { get; set; } = null!;

    [Parameter]
    public bool Dark { get; set; }

    [Inject]
    private FormationService Formation { get; set; } = null!;

    [Inject]
    private IJSRuntime Js { get; set; } = null!;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        _self = DotNetObjectReference.Create(this);
        _terminal = await Js.InvokeAsync<int>("formationTerminal.open", _element, _self, Dark);
        await Js.InvokeVoidAsync("formationTerminal.focus", _terminal);
        _reader = ReadLoopAsync(_stop.Token);
    }

    /// <summary>Keystrokes from the terminal (UTF-8 text, control characters included) to the guest's console.</summary>
    [JSInvokable]
    public async Task SendAsync(string data)
    {
        // One write at a time, in the order the calls came: concurrent writes to the console grain can overtake each other.
        await _typing.WaitAsync();
        try
        {
            await Formation.Console(Vm).WriteAsync(Encoding.UTF8.GetBytes(data));
            await ShowErrorAsync(null);
        }
        catch (Exception ex)
        {
            await ShowErrorAsync($"Typing did not reach the VM: {FabricErrors.Describe(ex)}");
        }
        finally
        {
            _typing.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reader;
        }
        catch (OperationCanceledException)
        {
        }

        if (_terminal != 0)
        {
            try
            {
                await Js.InvokeVoidAsync("formationTerminal.dispose", _terminal);
            }
            catch (JSDisconnectedException)
            {
                // The browser is gone, and its terminal with it.
            }
        }

        _self?.Dispose();
        _stop.Dispose();
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        long offset = -Recent;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var chunk = await Formation.Console(Vm).ReadAsync(offset, 64 * 1024, TimeSpan.FromSeconds(1)).WaitAsync(cancellationToken);
                if (chunk.Data.Length > 0)
                {
                    await Js.InvokeVoidAsync("formationTerminal.write", cancellationToken, _terminal, chunk.Data);
                }

                offset = chunk.Next;
                await ShowErrorAsync(null);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (JSDisconnectedException)
            {
                return;
            }
            catch (Exception ex)
            {
                await ShowErrorAsync($"The console does not answer: {FabricErrors.Describe(ex)} Retrying…");
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private Task ShowErrorAsync(string? error)
    {
        if (_error == error)
        {
            return Task.CompletedTask;
        }

        _error = error;
        return InvokeAsync(StateHasChanged);
    }
}
