namespace Formation.Kvm.Native.Devices;

/// <summary>
/// Just enough of an i8042 keyboard controller (data port 0x60, status/command port 0x64) for Linux:
/// the probe (self-test, CTR read/write, interface tests), a keyboard that ACKs its commands, no AUX
/// port, CPU reset (command 0xFE, or an output-port write with bit 0 clear) and Ctrl-Alt-Del injection
/// for graceful shutdown. Register it over ports 0x60-0x64 (offset 0 = data, offset 4 = command/status).
/// </summary>
public sealed class I8042Controller : IBusDevice
{
    public const ulong DataOffset = 0, CommandOffset = 4, PortCount = 5;

    // Status register bits
    private const byte StatusOutputFull = 0x01, StatusSystem = 0x04, StatusCommand = 0x08, StatusUnlocked = 0x10, StatusAuxData = 0x20;

    // Controller configuration byte (CTR) bits
    private const byte CtrKbdInterrupt = 0x01, CtrSystem = 0x04, CtrAuxDisabled = 0x20, CtrTranslate = 0x40;

    private const byte Ack = 0xfa;

    private readonly Lock _lock = new();
    private readonly IInterruptLine _kbdIrq;
    private readonly Action _onReset;
    private readonly Queue<(byte Value, bool Aux)> _output = new();
    private byte _ctr = CtrKbdInterrupt | CtrSystem | CtrAuxDisabled | CtrTranslate;
    private byte _pendingCommand;     // controller command waiting for its data byte (0x60, 0xD1-0xD4)
    private byte _pendingKbdCommand;  // keyboard command waiting for its parameter (0xED, 0xF0, 0xF3)
    private byte _status = StatusSystem | StatusUnlocked;
    private bool _irqLevel;

    /// <param name="keyboardIrq">IRQ 1.</param>
    /// <param name="onReset">Called (on the vCPU thread) when the guest resets the CPU through the controller.</param>
    public I8042Controller(IInterruptLine keyboardIrq, Action onReset)
    {
        _kbdIrq = keyboardIrq;
        _onReset = onReset;
    }

    public long Resets { get; private set; }

    /// <summary>
    /// Queues the Ctrl-Alt-Del key sequence (press and release) as the guest's keyboard driver expects it:
    /// scan code set 1 when the controller translates (CTR bit 6, Linux's default), set 2 otherwise.
    /// </summary>
    public void SendCtrlAltDel()
    {
        lock (_lock)
        {
            ReadOnlySpan<byte> codes = (_ctr & CtrTranslate) != 0
                ? [0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d]
                : [0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14];
            foreach (var code in codes)
            {
                _output.Enqueue((code, false));
            }

            UpdateInterrupt();
        }
    }

    /// <summary>Most bytes a snapshot's output queue may hold (a guest fills it with ACKs one command at a time).</summary>
    public const int MaxSavedOutput = 4096;

    public I8042State SaveState()
    {
        lock (_lock)
        {
            return new I8042State(_ctr, _status, _pendingCommand, _pendingKbdCommand, [.. _output.Select(o => o.Value)], [.. _output.Select(o => o.Aux)]);
        }
    }

    /// <summary>Takes the registers and queue of a snapshot and drives IRQ 1 to match; a malformed state is refused.</summary>
    public void RestoreState(I8042State state)
    {
        if (state.Output is null || state.OutputAux is null || state.Output.Length != state.OutputAux.Length || state.Output.Length > MaxSavedOutput)
        {
            throw new InvalidDataException($"i8042 state is invalid: output queue of {state.Output?.Length} bytes with {state.OutputAux?.Length} AUX flags (equal, at most {MaxSavedOutput})");
        }

        lock (_lock)
        {
            (_ctr, _status, _pendingCommand, _pendingKbdCommand) = (state.Ctr, state.Status, state.PendingCommand, state.PendingKbdCommand);
            _output.Clear();
            for (var i = 0; i < state.Output.Length; i++)
            {
                _output.Enqueue((state.Output[i], state.OutputAux[i]));
            }

            _irqLevel = false;
            UpdateInterrupt();
        }
    }

    public void Read(ulong offset, Span<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        data.Clear();
        lock (_lock)
        {
            if (offset == DataOffset)
            {
                if (_output.TryDequeue(out var item))
                {
                    data[0] = item.Value;

                    // Like the real controller, each byte is a new interrupt: IRQ 1 is edge-triggered, so
                    // drop the line before raising it for the next queued byte.
                    if (_irqLevel && _output.Count > 0)
                    {
                        _irqLevel = false;
                        _kbdIrq.SetLevel(false);
                    }
                }

                UpdateInterrupt();
            }
            else if (offset == CommandOffset)
            {
                var status = _status;
                if (_output.TryPeek(out var head))
                {
                    status |= StatusOutputFull;
                    if (head.Aux)
                    {
                        status |= StatusAuxData;
                    }
                }

                data[0] = status;
            }
            else
            {
                data.Fill(0xff);
            }
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var reset = false;
        lock (_lock)
        {
            if (offset == CommandOffset)
            {
                _status |= StatusCommand;
                reset = Command(data[0]);
            }
            else if (offset == DataOffset)
            {
                _status &= unchecked((byte)~StatusCommand);
                reset = DataByte(data[0]);
            }

            UpdateInterrupt();
        }

        if (reset)
        {
            Resets++;
            _onReset();
        }
    }

    /// <returns>True when the command resets the CPU.</returns>
    private bool Command(byte command)
    {
        _pendingCommand = 0;
        switch (command)
        {
            case 0x20: // read CTR
                Reply(_ctr);
                break;
            case 0x60: // write CTR
            case 0xd1: // write output port
            case 0xd2: // write keyboard output buffer
            case 0xd3: // write AUX output buffer
            case 0xd4: // write to AUX device
                _pendingCommand = command;
                break;
            case 0xa7: // disable AUX
                _ctr |= CtrAuxDisabled;
                break;
            case 0xa8: // enable AUX: there is none; keep it disabled
                break;
            case 0xa9: // AUX interface test: clock line stuck low = no AUX port
                Reply(0x02);
                break;
            case 0xaa: // controller self-test
                Reply(0x55);
                break;
            case 0xab: // keyboard interface test
                Reply(0x00);
                break;
            case 0xad: // disable keyboard
            case 0xae: // enable keyboard
                break;
            case 0xd0: // read output port: A20 on, no reset
                Reply(0x03);
                break;
            case 0xfe: // pulse output line 0: CPU reset
                return true;
            default:
                break;
        }

        return false;
    }

    /// <returns>True when the byte completes a reset (output port write with bit 0 clear).</returns>
    private bool DataByte(byte value)
    {
        var command = _pendingCommand;
        _pendingCommand = 0;
        switch (command)
        {
            case 0x60:
                _ctr = (byte)(value | CtrAuxDisabled);
                return false;
            case 0xd1:
                return (value & 0x01) == 0;
            case 0xd2:
                Reply(value);
                return false;
            case 0xd3:
                return false; // no AUX port: nothing echoes
            case 0xd4:
                return false; // no AUX device: the write goes nowhere
        }

        KeyboardCommand(value);
        return false;
    }

    private void KeyboardCommand(byte value)
    {
        if (_pendingKbdCommand != 0)
        {
            var pending = _pendingKbdCommand;
            _pendingKbdCommand = 0;
            Reply(Ack);
            if (pending == 0xf0 && value == 0)
            {
                Reply(0x02); // current scan code set
            }

            return;
        }

        switch (value)
        {
            case 0xed: // set LEDs
            case 0xf0: // scan code set
            case 0xf3: // typematic rate
                _pendingKbdCommand = value;
                Reply(Ack);
                break;
            case 0xee: // echo
                Reply(0xee);
                break;
            case 0xf2: // identify: MF2 keyboard
                Reply(Ack);
                Reply(0xab);
                Reply(0x83);
                break;
            case 0xff: // reset: ACK + self-test passed
                Reply(Ack);
                Reply(0xaa);
                break;
            default: // enable, disable, set defaults, ...
                Reply(Ack);
                break;
        }
    }

    private void Reply(byte value)
    {
        if (_output.Count < 64)
        {
            _output.Enqueue((value, false));
        }
    }

    private void UpdateInterrupt()
    {
        var level = _output.Count > 0 && (_ctr & CtrKbdInterrupt) != 0;
        if (level != _irqLevel)
        {
            _irqLevel = level;
            _kbdIrq.SetLevel(level);
        }
    }
}
