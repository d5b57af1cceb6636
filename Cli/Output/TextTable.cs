using System.Text;

namespace Formation.Cli.Output;

/// <summary>
/// A plain aligned table: header, then one line per row, columns two spaces apart. Cheap enough for thousands of rows
/// (Spectre's layout engine is not), and stable for scripts (no borders, no wrapping). Cells may carry a color that
/// is used only on a terminal.
/// </summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<Cell[]> _rows = [];

    public void Add(params Cell[] cells)
    {
        if (cells.Length != headers.Length)
        {
            throw new ArgumentException($"expected {headers.Length} cells, got {cells.Length}");
        }

        _rows.Add(cells);
    }

    public void Write(TextWriter output, bool color)
    {
        var widths = headers.Select(h => h.Length).ToArray();
        foreach (var row in _rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Text.Length);
            }
        }

        var line = new StringBuilder(256);
        AppendLine(line, headers.Select(h => new Cell(h, color ? Ansi.Bold : null)).ToArray(), widths, color);
        output.Write(line);
        foreach (var row in _rows)
        {
            line.Clear();
            AppendLine(line, row, widths, color);
            output.Write(line);
        }
    }

    private static void AppendLine(StringBuilder line, Cell[] cells, int[] widths, bool color)
    {
        for (var i = 0; i < cells.Length; i++)
        {
            var (text, code) = cells[i];
            var last = i == cells.Length - 1;
            if (color && code is not null)
            {
                line.Append(code).Append(text).Append(Ansi.Reset);
            }
            else
            {
                line.Append(text);
            }

            if (!last)
            {
                line.Append(' ', widths[i] - text.Length + 2);
            }
        }

        line.Append('\n');
    }
}

/// <summary>One table cell: its text and an optional ANSI color.</summary>
public readonly record struct Cell(string Text, string? Color = null)
{
    public static implicit operator Cell(string text) => new(text);
}

/// <summary>The few ANSI codes the CLI uses.</summary>
public static class Ansi
{
    public const string Reset = "\u001b[0m";
    public const string Bold = "\u001b[1m";
    public const string Red = "\u001b[31m";
    public const string Green = "\u001b[32m";
    public const string Yellow = "\u001b[33m";
    public const string Grey = "\u001b[90m";
}
