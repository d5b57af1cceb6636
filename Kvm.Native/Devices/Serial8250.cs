namespace Formation.Kvm.Native.Devices;

/// <summary>
/// A 16550A UART (8 registers, usually at port 0x3f8, IRQ 4). Transmitted bytes go to a <see cref="Stream"/>
/// at once, so THR is always empty: with IER.THRI set, the THRE interrupt is raised after every write and
/// when THRI gets enabled, and cleared by reading IIR (what Linux's tty layer needs to push user-space
/// output). Received bytes come from <see cref="EnqueueInput"/>. Modem lines read as DCD|DSR|CTS;
/// loopback mode (MCR bit 4) is emulated for the kernel's probe.
/// </summary>
public sealed class Serial8250 : IBusDevice
{
    public const int RegisterCount = 8;
    public const int InputCapacity = 64 * 1024;

    // Registers
    private const int Data = 0, Ier = 1, Iir = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7;

    // Bits
    private const byte IerRdi = 0x01, IerThri = 0x02;
    private const byte IirNone = 0x01, IirThri = 0x02, IirRdi = 0x04, IirFifo = 0xc0;
    private const byte LcrDlab = 0x80;
    private const byte McrLoop = 0x10;
    private const byte LsrDr = 0x01, LsrThre = 0x20, LsrTemt = 0x40;
    private const byte MsrCts = 0x10, MsrDsr = 0x20, MsrRi = 0x40, MsrDcd = 0x80;

    private readonly Lock _lock = new();
    private readonly Stream _output;
    private readonly IInterruptLine _irq;
    private readonly Queue<byte> _input = new();
    private byte _ier, _lcr, _mcr, _scr, _dll = 0x0c, _dlm;
    private bool _fifoEnabled, _thrInterruptPending, _irqLevel;
    private long _bytesOut, _bytesIn;

    public Serial8250(Stream output, IInterruptLine irq)
    {
        _output = output;
        _irq = irq;
    }

    public long BytesTransmitted => Interlocked.Read(ref _bytesOut);

    public long BytesReceived => Interlocked.Read(ref _bytesIn);

    /// <summary>Queues bytes for the guest to read (console input); bytes beyond the capacity are dropped.</summary>
    public void EnqueueInput(ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            foreach (var b in bytes)
            {
                if (_input.Count >= InputCapacity)
                {
                    break;
                }

                _input.Enqueue(b);
            }

            UpdateInterrupt();
        }
    }

    public SerialState SaveState()
    {
        lock (_lock)
        {
            return new SerialState(_ier, _lcr, _mcr, _scr, _dll, _dlm, _fifoEnabled, _thrInterruptPending, [.. _input]);
        }
    }

    /// <summary>Takes the registers of a snapshot and drives the interrupt line to match; a value no guest could have set is refused.</summary>
    public void RestoreState(SerialState state)
    {
        if ((state.Ier & ~0x0f) != 0 || (state.Mcr & ~0x1f) != 0 || state.Input is null || state.Input.Length > InputCapacity)
        {
            throw new InvalidDataException(
                $"serial state is invalid (IER 0x{state.Ier:x}, MCR 0x{state.Mcr:x}, {state.Input?.Length} input bytes; at most 0x0f, 0x1f, {InputCapacity})");
        }

        lock (_lock)
        {
            (_ier, _lcr, _mcr, _scr, _dll, _dlm) = (state.Ier, state.Lcr, state.Mcr, state.Scr, state.Dll, state.Dlm);
            (_fifoEnabled, _thrInterruptPending) = (state.FifoEnabled, state.ThrInterruptPending);
            _input.Clear();
            foreach (var b in state.Input)
            {
                _input.Enqueue(b);
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
        if (offset >= RegisterCount)
        {
            return;
        }

        lock (_lock)
        {
            data[0] = ReadRegister((int)offset);
            UpdateInterrupt();
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || offset >= RegisterCount)
        {
            return;
        }

        lock (_lock)
        {
            WriteRegister((int)offset, data[0]);
            UpdateInterrupt();
        }
    }

    private byte ReadRegister(int register)
    {
        switch (register)
        {
            case Data when (_lcr & LcrDlab) != 0:
                return _dll;
            case Data:
                if (_input.TryDequeue(out var b))
                {
                    Interlocked.Increment(ref _bytesIn);
                    return b;
                }

                return 0;
            case Ier when (_lcr & LcrDlab) != 0:
                return _dlm;
            case Ier:
                return _ier;
            case Iir:
                var iir = InterruptIdentification();
                if (iir == IirThri)
                {
                    _thrInterruptPending = false;
                }

                return (byte)(iir | (_fifoEnabled ? IirFifo : 0));
            case Lcr:
                return _lcr;
            case Mcr:
                return _mcr;
            case Lsr:
                return (byte)(LsrThre | LsrTemt | (_input.Count > 0 ? LsrDr : 0));
            case Msr:
                return (_mcr & McrLoop) != 0 ? LoopbackModemStatus() : (byte)(MsrDcd | MsrDsr | MsrCts);
            default:
                return _scr;
        }
    }

    private void WriteRegister(int register, byte value)
    {
        switch (register)
        {
            case Data when (_lcr & LcrDlab) != 0:
                _dll = value;
                break;
            case Data:
                Transmit(value);
                _thrInterruptPending = true;
                break;
            case Ier when (_lcr & LcrDlab) != 0:
                _dlm = value;
                break;
            case Ier:
                var enablingThri = (value & IerThri) != 0 && (_ier & IerThri) == 0;
                _ier = (byte)(value & 0x0f);
                if (enablingThri)
                {
                    _thrInterruptPending = true;
                }

                break;
            case Iir: // FCR
                _fifoEnabled = (value & 0x01) != 0;
                if ((value & 0x02) != 0)
                {
                    _input.Clear();
                }

                break;
            case Lcr:
                _lcr = value;
                break;
            case Mcr:
                _mcr = (byte)(value & 0x1f);
                break;
            case Lsr:
            case Msr:
                break; // read-only
            default:
                _scr = value;
                break;
        }
    }

    private void Transmit(byte value)
    {
        if ((_mcr & McrLoop) != 0)
        {
            if (_input.Count < InputCapacity)
            {
                _input.Enqueue(value);
            }

            return;
        }

        Interlocked.Increment(ref _bytesOut);
        try
        {
            _output.WriteByte(value);
        }
        catch (IOException)
        {
            // The console sink failed (disk full, closed): the guest keeps running without console output.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private byte InterruptIdentification()
    {
        if ((_ier & IerRdi) != 0 && _input.Count > 0)
        {
            return IirRdi;
        }

        if ((_ier & IerThri) != 0 && _thrInterruptPending)
        {
            return IirThri;
        }

        return IirNone;
    }

    private byte LoopbackModemStatus()
    {
        byte msr = 0;
        if ((_mcr & 0x01) != 0)
        {
            msr |= MsrDsr;
        }

        if ((_mcr & 0x02) != 0)
        {
            msr |= MsrCts;
        }

        if ((_mcr & 0x04) != 0)
        {
            msr |= MsrRi;
        }

        if ((_mcr & 0x08) != 0)
        {
            msr |= MsrDcd;
        }

        return msr;
    }

    private void UpdateInterrupt()
    {
        var level = InterruptIdentification() != IirNone;
        if (level != _irqLevel)
        {
            _irqLevel = level;
            _irq.SetLevel(level);
        }
    }
}
