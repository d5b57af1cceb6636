using System.Buffers.Binary;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// The virtio-mmio transport, version 2 (virtio 1.x §4.2.2): a 4 KiB register window with the device's
/// configuration space at 0x100. Declared to Linux with <c>virtio_mmio.device=4K@base:irq</c>. The
/// interrupt line is high while InterruptStatus is non-zero.
/// </summary>
public sealed class VirtioMmioTransport : IBusDevice, IVirtioQueueHost
{
    public const uint MagicValue = 0x74726976; // "virt"
    public const uint Version = 2;
    public const uint VendorId = 0x4d524f46; // "FORM"

    private const int RegMagic = 0x000, RegVersion = 0x004, RegDeviceId = 0x008, RegVendorId = 0x00c,
        RegDeviceFeatures = 0x010, RegDeviceFeaturesSel = 0x014, RegDriverFeatures = 0x020, RegDriverFeaturesSel = 0x024,
        RegQueueSel = 0x030, RegQueueNumMax = 0x034, RegQueueNum = 0x038, RegQueueReady = 0x044, RegQueueNotify = 0x050,
        RegInterruptStatus = 0x060, RegInterruptAck = 0x064, RegStatus = 0x070,
        RegQueueDescLow = 0x080, RegQueueDescHigh = 0x084, RegQueueDriverLow = 0x090, RegQueueDriverHigh = 0x094,
        RegQueueDeviceLow = 0x0a0, RegQueueDeviceHigh = 0x0a4, RegConfigGeneration = 0x0fc, ConfigSpace = 0x100;

    private readonly IVirtioDevice _device;
    private readonly IInterruptLine _irq;
    private readonly Virtqueue[] _queues;
    private uint _deviceFeaturesSel, _driverFeaturesSel, _queueSel, _status, _interruptStatus;
    private ulong _driverFeatures;
    private bool _activated, _irqLevel;

    public VirtioMmioTransport(IVirtioDevice device, GuestMemory memory, IInterruptLine irq)
    {
        _device = device;
        _irq = irq;
        _queues = new Virtqueue[device.QueueCount];
        for (var i = 0; i < _queues.Length; i++)
        {
            _queues[i] = new Virtqueue(memory, device.QueueMaxSize);
        }
    }

    public Lock SyncRoot { get; } = new();

    public IVirtioDevice Device => _device;

    public uint Status
    {
        get
        {
            lock (SyncRoot)
            {
                return _status;
            }
        }
    }

    /// <summary>Why the device failed, or null.</summary>
    public string? FailureReason { get; private set; }

    private ulong OfferedFeatures => _device.Features | (1UL << VirtioIds.FeatureVersion1);

    public void Read(ulong offset, Span<byte> data)
    {
        data.Clear();
        lock (SyncRoot)
        {
            if (offset >= ConfigSpace)
            {
                _device.ReadConfig(offset - ConfigSpace, data);
                return;
            }

            if (data.Length != 4 || (offset & 3) != 0)
            {
                return; // registers are 32-bit only
            }

            BinaryPrimitives.WriteUInt32LittleEndian(data, ReadRegister((int)offset));
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (SyncRoot)
        {
            if (offset >= ConfigSpace)
            {
                _device.WriteConfig(offset - ConfigSpace, data);
                return;
            }

            if (data.Length != 4 || (offset & 3) != 0)
            {
                return;
            }

            WriteRegister((int)offset, BinaryPrimitives.ReadUInt32LittleEndian(data));
        }
    }

    public void SignalUsed(Virtqueue queue)
    {
        lock (SyncRoot)
        {
            if (queue.ShouldInterrupt())
            {
                _interruptStatus |= VirtioIds.InterruptUsedBuffer;
                UpdateInterrupt();
            }
        }
    }

    public void Fail(string reason)
    {
        lock (SyncRoot)
        {
            FailureReason ??= reason;
            _status |= VirtioIds.StatusDeviceNeedsReset;
            if (_activated)
            {
                _activated = false;
                _device.Reset();
            }

            _interruptStatus |= VirtioIds.InterruptConfigChange;
            UpdateInterrupt();
        }
    }

    /// <summary>The transport's registers, queues and the device's own state. The guest must be stopped.</summary>
    public VirtioMmioState SaveState()
    {
        lock (SyncRoot)
        {
            return new VirtioMmioState(_device.DeviceId, _deviceFeaturesSel, _driverFeaturesSel, _queueSel, _status, _interruptStatus,
                _driverFeatures, _activated, FailureReason, [.. _queues.Select(q => q.SaveState())],
                (_device as IStatefulVirtioDevice)?.SaveState());
        }
    }

    /// <summary>
    /// Takes a snapshot's state back (over the snapshot's guest memory, before the vCPUs run): checks it fits this device,
    /// restores the queues, re-activates the device if the driver had, and drives the interrupt line to match. Throws
    /// <see cref="InvalidDataException"/> saying what does not fit.
    /// </summary>
    public void RestoreState(VirtioMmioState state)
    {
        lock (SyncRoot)
        {
            if (state.DeviceId != _device.DeviceId || state.Queues is null || state.Queues.Count != _queues.Length)
            {
                throw new InvalidDataException(
                    $"the snapshot has virtio device {state.DeviceId} with {state.Queues?.Count} queues here, the VM has device {_device.DeviceId} with {_queues.Length}");
            }

            const uint knownStatus = VirtioIds.StatusAcknowledge | VirtioIds.StatusDriver | VirtioIds.StatusDriverOk | VirtioIds.StatusFeaturesOk
                                     | VirtioIds.StatusDeviceNeedsReset | VirtioIds.StatusFailed;
            if ((state.Status & ~knownStatus) != 0 || (state.InterruptStatus & ~(VirtioIds.InterruptUsedBuffer | VirtioIds.InterruptConfigChange)) != 0)
            {
                throw new InvalidDataException($"virtio device {state.DeviceId}: status 0x{state.Status:x} or interrupt status 0x{state.InterruptStatus:x} has unknown bits");
            }

            if ((state.Status & VirtioIds.StatusFeaturesOk) != 0 && (state.DriverFeatures & ~OfferedFeatures) != 0)
            {
                throw new InvalidDataException($"virtio device {state.DeviceId}: accepted features 0x{state.DriverFeatures:x} were never offered (0x{OfferedFeatures:x})");
            }

            if (state.Activated && ((state.Status & VirtioIds.StatusDriverOk) == 0 || (state.Status & VirtioIds.StatusDeviceNeedsReset) != 0))
            {
                throw new InvalidDataException($"virtio device {state.DeviceId}: active with status 0x{state.Status:x} (needs DRIVER_OK, not NEEDS_RESET)");
            }

            for (var i = 0; i < _queues.Length; i++)
            {
                try
                {
                    _queues[i].RestoreState(state.Queues[i] ?? throw new InvalidDataException("queue state is missing"));
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"virtio device {state.DeviceId}, queue {i}: {e.Message}", e);
                }
            }

            switch (_device, state.Device)
            {
                case (IStatefulVirtioDevice stateful, { } saved):
                    stateful.RestoreState(saved);
                    break;
                case (IStatefulVirtioDevice, null):
                    throw new InvalidDataException($"virtio device {state.DeviceId}: the snapshot has no device state");
                case (_, not null):
                    throw new InvalidDataException($"virtio device {state.DeviceId}: the snapshot has device state this device does not keep");
            }

            (_deviceFeaturesSel, _driverFeaturesSel, _queueSel) = (state.DeviceFeaturesSel, state.DriverFeaturesSel, state.QueueSel);
            (_status, _interruptStatus, _driverFeatures, FailureReason) = (state.Status, state.InterruptStatus, state.DriverFeatures, state.FailureReason);
            _activated = state.Activated;
            if (_activated)
            {
                _device.Activate(this, _queues, _driverFeatures);
            }

            _irqLevel = false;
            UpdateInterrupt();
        }
    }

    /// <summary>The restored VM runs: a device that kept state gets to tell the guest what the restore changed.</summary>
    public void Restored()
    {
        lock (SyncRoot)
        {
            if (_activated && _device is IStatefulVirtioDevice stateful)
            {
                stateful.Restored();
            }
        }
    }

    private Virtqueue? SelectedQueue => _queueSel < _queues.Length ? _queues[_queueSel] : null;

    private uint ReadRegister(int register) => register switch
    {
        RegMagic => MagicValue,
        RegVersion => Version,
        RegDeviceId => _device.DeviceId,
        RegVendorId => VendorId,
        RegDeviceFeatures => _deviceFeaturesSel switch
        {
            0 => (uint)OfferedFeatures,
            1 => (uint)(OfferedFeatures >> 32),
            _ => 0,
        },
        RegQueueNumMax => SelectedQueue?.MaxSize ?? 0,
        RegQueueReady => SelectedQueue is { Ready: true } ? 1u : 0u,
        RegInterruptStatus => _interruptStatus,
        RegStatus => _status,
        RegConfigGeneration => 0,
        _ => 0,
    };

    private void WriteRegister(int register, uint value)
    {
        var queue = SelectedQueue;
        switch (register)
        {
            case RegDeviceFeaturesSel:
                _deviceFeaturesSel = value;
                break;
            case RegDriverFeaturesSel:
                _driverFeaturesSel = value;
                break;
            case RegDriverFeatures when (_status & VirtioIds.StatusFeaturesOk) == 0:
                if (_driverFeaturesSel < 2)
                {
                    var shift = 32 * (int)_driverFeaturesSel;
                    _driverFeatures = (_driverFeatures & ~(0xffff_ffffUL << shift)) | ((ulong)value << shift);
                }

                break;
            case RegQueueSel:
                _queueSel = value;
                break;
            case RegQueueNum when queue is { Ready: false }:
                queue.Size = (ushort)Math.Min(value, ushort.MaxValue);
                break;
            case RegQueueReady when queue is not null:
                queue.Ready = value == 1 && queue.Validate(out _);
                break;
            case RegQueueNotify:
                Notify(value);
                break;
            case RegInterruptAck:
                _interruptStatus &= ~value;
                UpdateInterrupt();
                break;
            case RegStatus:
                SetStatus(value);
                break;
            case RegQueueDescLow when queue is { Ready: false }:
                queue.DescTable = Low(queue.DescTable, value);
                break;
            case RegQueueDescHigh when queue is { Ready: false }:
                queue.DescTable = High(queue.DescTable, value);
                break;
            case RegQueueDriverLow when queue is { Ready: false }:
                queue.AvailRing = Low(queue.AvailRing, value);
                break;
            case RegQueueDriverHigh when queue is { Ready: false }:
                queue.AvailRing = High(queue.AvailRing, value);
                break;
            case RegQueueDeviceLow when queue is { Ready: false }:
                queue.UsedRing = Low(queue.UsedRing, value);
                break;
            case RegQueueDeviceHigh when queue is { Ready: false }:
                queue.UsedRing = High(queue.UsedRing, value);
                break;
        }
    }

    private void SetStatus(uint value)
    {
        if (value == 0)
        {
            if (_activated)
            {
                _device.Reset();
            }

            _activated = false;
            _status = 0;
            _interruptStatus = 0;
            _driverFeatures = 0;
            FailureReason = null;
            foreach (var q in _queues)
            {
                q.Reset();
            }

            UpdateInterrupt();
            return;
        }

        if ((value & VirtioIds.StatusFeaturesOk) != 0 && (_status & VirtioIds.StatusFeaturesOk) == 0)
        {
            // Accept only subsets of what we offered, and only modern (VERSION_1) drivers.
            if ((_driverFeatures & ~OfferedFeatures) != 0 || (_driverFeatures & (1UL << VirtioIds.FeatureVersion1)) == 0)
            {
                value &= ~VirtioIds.StatusFeaturesOk;
            }
        }

        _status = value | (_status & VirtioIds.StatusDeviceNeedsReset);
        if ((value & VirtioIds.StatusDriverOk) != 0 && !_activated && (_status & VirtioIds.StatusDeviceNeedsReset) == 0)
        {
            foreach (var q in _queues)
            {
                if (q.Ready && !q.Validate(out var error))
                {
                    Fail(error);
                    return;
                }
            }

            _activated = true;
            try
            {
                _device.Activate(this, _queues, _driverFeatures);
            }
            catch (VirtqueueException e)
            {
                Fail(e.Message);
            }
        }
    }

    private void Notify(uint queue)
    {
        if (!_activated || queue >= _queues.Length || !_queues[queue].Ready)
        {
            return;
        }

        try
        {
            _device.Notify((int)queue);
        }
        catch (VirtqueueException e)
        {
            Fail(e.Message);
        }
    }

    private void UpdateInterrupt()
    {
        var level = _interruptStatus != 0;
        if (level != _irqLevel)
        {
            _irqLevel = level;
            _irq.SetLevel(level);
        }
    }

    private static ulong Low(ulong current, uint value) => (current & 0xffff_ffff_0000_0000) | value;

    private static ulong High(ulong current, uint value) => (current & 0xffff_ffff) | ((ulong)value << 32);
}
