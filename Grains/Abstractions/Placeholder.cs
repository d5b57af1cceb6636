namespace Formation;

internal static class Placeholder;
