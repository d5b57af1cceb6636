using MudBlazor;

namespace Formation.Dashboard.Components.Layout;

/// <summary>The dashboard's light and dark palettes: dense, neutral, with state colors that read on both.</summary>
public static class Themes
{
    public static MudTheme Formation { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#2f5d8a",
            AppbarBackground = "#24415f",
            Background = "#f6f7f9",
            DrawerBackground = "#ffffff",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#7fb3e6",
            AppbarBackground = "#1b2633",
            Background = "#14191f",
            Surface = "#1c232b",
            DrawerBackground = "#182029",
        },
        LayoutProperties = new LayoutProperties { DrawerWidthLeft = "220px" },
    };
}
