namespace Formation.Bench.Vmm;

/// <summary>One measured boot: seconds from process start to the kernel's /init line, to the marker, to exit.</summary>
internal sealed record BootRun(string Vmm, double? InitSeconds, double? MarkerSeconds, double ExitSeconds, long? OverheadKiB, long? RssKiB);
