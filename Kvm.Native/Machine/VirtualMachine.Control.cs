using Formation.Kvm.Native.Arch;
using Formation.Vmm.Protocol;

namespace Formation.Kvm.Native.Machine;

public sealed partial class VirtualMachine
{
    public static readonly TimeSpan PauseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Stops every vCPU outside KVM_RUN (immediate_exit + signal) and parks them; saves the kvmclock so
    /// the guest does not see the pause. Returns once all vCPUs are parked.
    /// </summary>
    public void Pause()
    {
        lock (_gate)
        {
            if (_state != MachineState.Running)
            {
                throw new InvalidOperationException($"cannot pause: the VM is {_state.ToString().ToLowerInvariant()}");
            }

            _pauseRequested = true;
            foreach (var r in _runners)
            {
                r.Kick();
            }

            var deadline = Environment.TickCount64 + (long)PauseTimeout.TotalMilliseconds;
            while (_parked < _runners.Count(r => r.IsAlive) && !_stopping)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    _pauseRequested = false;
                    Monitor.PulseAll(_gate);
                    throw new TimeoutException($"vCPUs did not stop within {PauseTimeout.TotalSeconds} s");
                }

                Monitor.Wait(_gate, (int)Math.Min(left, 100));
                foreach (var r in _runners)
                {
                    r.Kick();
                }
            }

            if (_stopping)
            {
                throw new InvalidOperationException("cannot pause: the VM is stopping");
            }

            if (Config.InKernelIrqchip)
            {
                _pausedClock = _vm.GetClock();
            }

            _state = MachineState.Paused;
        }

        LogPaused();
    }

    /// <summary>Continues a paused VM where it stopped.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            if (_state != MachineState.Paused)
            {
                throw new InvalidOperationException($"cannot resume: the VM is {_state.ToString().ToLowerInvariant()}");
            }

            if (Config.InKernelIrqchip)
            {
                _vm.SetClock(_pausedClock);
            }

            _pauseRequested = false;
            _state = MachineState.Running;
            Monitor.PulseAll(_gate);
        }

        LogResumed();
    }

    /// <summary>
    /// Graceful shutdown: sends Ctrl-Alt-Del through the i8042; if the guest has not stopped after
    /// <paramref name="deadline"/>, kills it (exit reason <see cref="ExitReason.ShutdownTimeout"/>).
    /// </summary>
    public Task<ExitReason> Shutdown(TimeSpan deadline)
    {
        lock (_gate)
        {
            if (_state == MachineState.Paused)
            {
                throw new InvalidOperationException("cannot shut down a paused VM: resume it first or kill it");
            }

            if (_state != MachineState.Running)
            {
                return Exited;
            }
        }

        LogShutdown(deadline.TotalSeconds);
        Keyboard.SendCtrlAltDel();
        _ = Task.Delay(deadline).ContinueWith(
            _ => RequestStop(ExitReason.ShutdownTimeout, $"the guest did not stop within {deadline.TotalSeconds} s of Ctrl-Alt-Del"),
            TaskScheduler.Default);
        return Exited;
    }

    /// <summary>Stops the VM at once.</summary>
    public Task<ExitReason> Kill(string why = "kill requested")
    {
        RequestStop(ExitReason.Killed, why);
        return Exited;
    }

    /// <summary>
    /// Ends the VM with <paramref name="reason"/> (the first request wins): kicks every vCPU out of
    /// KVM_RUN and completes <see cref="Exited"/> once all vCPU threads have returned. Safe from any
    /// thread, including a vCPU thread and device callbacks.
    /// </summary>
    public void RequestStop(ExitReason reason, string detail)
    {
        lock (_gate)
        {
            if (_exitReason is not null)
            {
                return;
            }

            _exitReason = reason;
            _exitDetail = detail;
            _stopping = true;
            Monitor.PulseAll(_gate);
            if (_state == MachineState.Created)
            {
                _state = MachineState.Stopped;
                _exited.TrySetResult(reason);
                return;
            }
        }

        LogStopping(reason, (int)reason, detail);
        foreach (var r in _runners)
        {
            r.Kick();
        }

        _ = Task.Run(() =>
        {
            foreach (var r in _runners)
            {
                while (!r.Join(TimeSpan.FromMilliseconds(200)))
                {
                    r.Kick();
                }
            }

            lock (_gate)
            {
                _state = MachineState.Stopped;
            }

            Console.Flush();
            _exited.TrySetResult(reason);
        });
    }

    /// <summary>RIP, RSP, RFLAGS, CR0, CR3, CS and the MP state of every vCPU (diagnostics). The VM must be paused.</summary>
    public IReadOnlyList<VcpuRegisters> Registers()
    {
        lock (_gate)
        {
            if (_state != MachineState.Paused)
            {
                throw new InvalidOperationException("registers can only be read while the VM is paused");
            }

            var result = new List<VcpuRegisters>();
            foreach (var r in _runners)
            {
                var regs = r.Vcpu.GetRegs();
                var sregs = r.Vcpu.GetSregs();
                result.Add(new VcpuRegisters($"0x{regs.rip:x}", $"0x{regs.rsp:x}", $"0x{regs.rflags:x}", $"0x{sregs.cr0:x}",
                    $"0x{sregs.cr3:x}", $"0x{sregs.cs.selector:x}", r.Vcpu.GetMpState().ToString()));
            }

            return result;
        }
    }

    public MachineInfo Info()
    {
        lock (_gate)
        {
            var perVcpu = _runners.Select(r => r.Counters.Snapshot()).ToList();
            var devices = new Dictionary<string, string>
            {
                ["serial"] = $"0x{Layout.SerialPort:x} irq {Layout.SerialIrq}, tx {Serial.BytesTransmitted} B, rx {Serial.BytesReceived} B",
                ["i8042"] = $"0x{Layout.I8042DataPort:x}/0x{Layout.I8042CommandPort:x} irq {Layout.KeyboardIrq}, resets {Keyboard.Resets}",
            };
            for (var i = 0; i < Virtio.Count; i++)
            {
                var t = Virtio[i];
                devices[$"virtio-{t.Device.DeviceId}@{i}"] = $"status 0x{t.Status:x}{(t.FailureReason is { } f ? $", failed: {f}" : "")}";
            }

            var uptime = _startedAt == 0 ? 0 : (Environment.TickCount64 - _startedAt) / 1000.0;
            return new MachineInfo(_state, _runners.Length, Config.MemoryMiB, uptime, PvmCompat,
                perVcpu.Aggregate(VcpuExitCounts.Zero, (sum, c) => sum + c), perVcpu, devices, _exitReason, _exitDetail);
        }
    }

    public IDisposable AttachConsole(Func<ReadOnlyMemory<byte>, Task> send) => Console.Attach(send);

    public void SendConsoleInput(ReadOnlySpan<byte> bytes) => Serial.EnqueueInput(bytes);

    /// <summary>
    /// Once a second, vCPUs without exits since the last look are probed: a guest whose vCPUs are all
    /// halted with interrupts disabled (Linux "System halted", poweroff without ACPI) has stopped for good.
    /// </summary>
    private void Watchdog()
    {
        while (true)
        {
            Thread.Sleep(1000);
            lock (_gate)
            {
                if (_stopping)
                {
                    return;
                }

                if (_state != MachineState.Running)
                {
                    continue;
                }
            }

            for (var i = 0; i < _runners.Length; i++)
            {
                var exits = _runners[i].TotalExits;
                if (exits != _lastExits[i])
                {
                    _lastExits[i] = exits;
                    lock (_gate)
                    {
                        _dead[i] = false;
                    }

                    continue;
                }

                _runners[i].RequestProbe();
                _lastExits[i] = _runners[i].TotalExits;
            }
        }
    }
}
