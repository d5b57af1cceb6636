namespace Formation.Kvm.Native.Bindings;

/// <summary>
/// View over the mmap'd struct kvm_run of one vCPU (offsets from &lt;linux/kvm.h&gt;, checked by tests).
/// The mapping lives as long as the vCPU; only the vCPU's own thread reads the exit fields.
/// </summary>
public readonly unsafe struct kvm_run
{
    public const int request_interrupt_window_offset = 0;
    public const int immediate_exit_offset = 1;
    public const int exit_reason_offset = 8;
    public const int ready_for_interrupt_injection_offset = 12;
    public const int if_flag_offset = 13;
    public const int flags_offset = 14;
    public const int cr8_offset = 16;
    public const int apic_base_offset = 24;
    public const int exit_union_offset = 32;

    // io
    public const int io_direction_offset = 32;
    public const int io_size_offset = 33;
    public const int io_port_offset = 34;
    public const int io_count_offset = 36;
    public const int io_data_offset_offset = 40;

    // mmio
    public const int mmio_phys_addr_offset = 32;
    public const int mmio_data_offset = 40;
    public const int mmio_len_offset = 48;
    public const int mmio_is_write_offset = 52;

    // internal error
    public const int internal_suberror_offset = 32;
    public const int internal_ndata_offset = 36;
    public const int internal_data_offset = 40;

    // fail_entry
    public const int fail_entry_hardware_entry_failure_reason_offset = 32;

    // system_event
    public const int system_event_type_offset = 32;

    public const byte KVM_EXIT_IO_IN = 0;
    public const byte KVM_EXIT_IO_OUT = 1;

    private readonly byte* _p;
    private readonly int _size;

    /// <param name="mapping">Start of the vCPU mmap area (valid for <paramref name="size"/> bytes).</param>
    public kvm_run(byte* mapping, int size)
    {
        _p = mapping;
        _size = size;
    }

    /// <summary>View over a vCPU's kvm_run mapping.</summary>
    public static kvm_run FromMapping(Interop.MappedRegion mapping) =>
        // Safe: the region is the vCPU's mmap of at least sizeof(struct kvm_run); it outlives the view's users.
        new((byte*)mapping.Address, (int)mapping.Length);

    /// <summary>A kvm_run over a pinned managed array (synthetic exits in tests).</summary>
    public static kvm_run OverPinnedArray(byte[] pinned)
    {
        // Safe only for arrays from GC.AllocateArray(pinned: true): they never move. Tests use it that way.
        return new kvm_run((byte*)System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0), pinned.Length);
    }

    /// <summary>Writes a field (tests build synthetic exits with it).</summary>
    public void Set<T>(int offset, T value)
        where T : unmanaged
    {
        if (offset < 0 || offset + sizeof(T) > _size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset));
        }

        *(T*)(_p + offset) = value;
    }

    public int MappingSize => _size;

    public byte immediate_exit
    {
        get => Volatile.Read(ref _p[immediate_exit_offset]);
        set => Volatile.Write(ref _p[immediate_exit_offset], value);
    }

    public byte request_interrupt_window
    {
        get => _p[request_interrupt_window_offset];
        set => _p[request_interrupt_window_offset] = value;
    }

    public KvmExitReason exit_reason => (KvmExitReason)(*(uint*)(_p + exit_reason_offset));

    public byte if_flag => _p[if_flag_offset];

    public byte io_direction => _p[io_direction_offset];

    public byte io_size => _p[io_size_offset];

    public ushort io_port => *(ushort*)(_p + io_port_offset);

    public uint io_count => *(uint*)(_p + io_count_offset);

    public ulong io_data_offset => *(ulong*)(_p + io_data_offset_offset);

    public ulong mmio_phys_addr => *(ulong*)(_p + mmio_phys_addr_offset);

    public uint mmio_len => *(uint*)(_p + mmio_len_offset);

    public bool mmio_is_write => _p[mmio_is_write_offset] != 0;

    /// <summary>The 8 mmio data bytes.</summary>
    public Span<byte> mmio_data => new(_p + mmio_data_offset, 8);

    public uint internal_suberror => *(uint*)(_p + internal_suberror_offset);

    public uint internal_ndata => *(uint*)(_p + internal_ndata_offset);

    /// <summary>internal.data[16] as bytes (128).</summary>
    public ReadOnlySpan<byte> internal_data => new(_p + internal_data_offset, 128);

    public ulong fail_entry_hardware_entry_failure_reason => *(ulong*)(_p + fail_entry_hardware_entry_failure_reason_offset);

    public uint system_event_type => *(uint*)(_p + system_event_type_offset);

    /// <summary>
    /// The port I/O data area (io.count items of io.size bytes at io.data_offset), or empty when the
    /// kernel reports a range outside the mapping (never trust it blindly).
    /// </summary>
    public Span<byte> IoData
    {
        get
        {
            var offset = io_data_offset;
            var length = (ulong)io_size * io_count;
            return offset <= (ulong)_size && length <= (ulong)_size - offset
                ? new Span<byte>(_p + offset, (int)length)
                : Span<byte>.Empty;
        }
    }
}
