using System.Globalization;
using System.Security;
using System.Text;

namespace OAuthAspire.Bench.Throughput;

/// <summary>One line of a chart: its legend name and its (x, y) points.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>
/// Line charts written as plain SVG text: GitHub renders .svg files linked from markdown,
/// so the results need no plotting library and the files diff as text.
/// </summary>
public static class Charts
{
    private const int Width = 720, Height = 420, Left = 76, Top = 44, Bottom = 56;
    private const double Pad = 18; // keeps the first and last markers off the axes
    private const double CharWidth = 7; // rough width of a 12px sans-serif character, to size the legend
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly double[] NiceSteps = [1, 2, 5, 10];

    // Okabe–Ito, distinguishable with the common colour-vision deficiencies; yellow last as it is faint on white.
    private static readonly string[] Palette = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"];

    /// <summary>
    /// A line chart with one polyline per series. The x axis has a tick at each distinct X of the data
    /// (categorical-but-numeric values such as connections 1, 4, 16, 64, 256 or data size 0, 10, 100 %),
    /// placed on a log2 scale when <paramref name="logX"/> is true, linearly otherwise. The y axis runs from 0.
    /// </summary>
    public static string LineChart(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, bool logX)
    {
        // Non-finite points (a rate over a zero duration, say) would poison both scales, so they are left out.
        var lines = series
            .Select(s => (s.Name, Points: s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).OrderBy(p => p.X).ToList()))
            .ToList();
        var all = lines.SelectMany(l => l.Points).ToList();

        // The legend sits right of the plot rather than inside it, so it can never hide a line.
        var legendWidth = lines.Count == 0 ? 0 : Math.Min(220, 40 + CharWidth * lines.Max(l => l.Name.Length));
        double plotRight = Width - 12 - legendWidth, bottom = Height - Bottom;
        double plotWidth = plotRight - Left, plotHeight = bottom - Top;

        var svg = new StringBuilder();
        svg.AppendLine("""<?xml version="1.0" encoding="UTF-8"?>""");
        svg.AppendLine(Inv, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine(Inv, $"""<title>{Esc(title)}</title>""");
        svg.AppendLine(Inv, $"""<rect width="{Width}" height="{Height}" fill="white"/>""");
        svg.AppendLine(Inv, $"""<text x="{Width / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold">{Esc(title)}</text>""");
        svg.AppendLine(Inv, $"""<line x1="{Left}" y1="{Top}" x2="{Left}" y2="{bottom:0.#}" stroke="#333"/>""");
        svg.AppendLine(Inv, $"""<line x1="{Left}" y1="{bottom:0.#}" x2="{plotRight:0.#}" y2="{bottom:0.#}" stroke="#333"/>""");
        svg.AppendLine(Inv, $"""<text x="{Left + plotWidth / 2:0.#}" y="{Height - 14}" text-anchor="middle">{Esc(xLabel)}</text>""");
        svg.AppendLine(Inv, $"""<text transform="translate(18 {Top + plotHeight / 2:0.#}) rotate(-90)" text-anchor="middle">{Esc(yLabel)}</text>""");

        if (all.Count == 0)
        {
            svg.AppendLine(Inv, $"""<text x="{Left + plotWidth / 2:0.#}" y="{Top + plotHeight / 2:0.#}" text-anchor="middle" font-size="16" fill="#888">no data</text>""");
            return svg.AppendLine("</svg>").ToString();
        }

        var (yMax, yStep) = NiceScale(all.Max(p => p.Y));
        double Py(double y) => bottom - y / yMax * plotHeight;
        for (var i = 0; i <= (int)Math.Round(yMax / yStep); i++)
        {
            var y = Py(i * yStep);
            if (i > 0) // the grid line at 0 would paint over the x axis
            {
                svg.AppendLine(Inv, $"""<line x1="{Left}" y1="{y:0.#}" x2="{plotRight:0.#}" y2="{y:0.#}" stroke="#e0e0e0"/>""");
            }
            svg.AppendLine(Inv, $"""<text x="{Left - 6}" y="{y + 4:0.#}" text-anchor="end">{Num(i * yStep, compact: true)}</text>""");
        }

        var xs = all.Select(p => p.X).Distinct().Order().ToList();
        // A log scale cannot place 0 or below, so then the distinct values are spaced evenly in order instead.
        var byIndex = logX && xs[0] <= 0;
        double Position(double x) => byIndex ? xs.BinarySearch(x) : logX ? Math.Log2(x) : x;
        double lo = Position(xs[0]), hi = Position(xs[^1]);
        double Px(double x) => hi > lo ? Left + Pad + (Position(x) - lo) / (hi - lo) * (plotWidth - 2 * Pad) : Left + plotWidth / 2;
        foreach (var x in xs)
        {
            var px = Px(x);
            svg.AppendLine(Inv, $"""<line x1="{px:0.#}" y1="{bottom:0.#}" x2="{px:0.#}" y2="{bottom + 5:0.#}" stroke="#333"/>""");
            svg.AppendLine(Inv, $"""<text x="{px:0.#}" y="{bottom + 19:0.#}" text-anchor="middle">{Num(x, compact: true)}</text>""");
        }

        for (var i = 0; i < lines.Count; i++)
        {
            var (name, points) = lines[i];
            var colour = Palette[i % Palette.Length];
            if (points.Count > 1)
            {
                var coords = string.Join(' ', points.Select(p => string.Create(Inv, $"{Px(p.X):0.#},{Py(p.Y):0.#}")));
                svg.AppendLine(Inv, $"""<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>""");
            }
            // Markers for every point, so a single-point series still shows and each value has a hover tooltip.
            foreach (var (x, y) in points)
            {
                var tip = Esc(string.Create(Inv, $"{name}: {Num(x, compact: false)} → {Num(y, compact: false)}"));
                svg.AppendLine(Inv, $"""<circle cx="{Px(x):0.#}" cy="{Py(y):0.#}" r="3.5" fill="{colour}"><title>{tip}</title></circle>""");
            }
            var ly = Top + 10 + i * 20;
            svg.AppendLine(Inv, $"""<line x1="{plotRight + 12:0.#}" y1="{ly}" x2="{plotRight + 32:0.#}" y2="{ly}" stroke="{colour}" stroke-width="2"/>""");
            svg.AppendLine(Inv, $"""<circle cx="{plotRight + 22:0.#}" cy="{ly}" r="3.5" fill="{colour}"/>""");
            svg.AppendLine(Inv, $"""<text x="{plotRight + 38:0.#}" y="{ly + 4}">{Esc(name)}</text>""");
        }

        return svg.AppendLine("</svg>").ToString();
    }

    /// <summary>Writes the chart, creating its directory; UTF-8 without a byte order mark.</summary>
    public static void Write(string path, string svg)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        File.WriteAllText(path, svg);
    }

    // The top of the y axis and its step: the smallest 1/2/5 × 10^n step that covers the data in at most six
    // intervals (usually five or six), so the grid lines fall on round numbers a reader can interpolate between.
    private static (double Max, double Step) NiceScale(double dataMax)
    {
        if (dataMax <= 0)
        {
            return (1, 0.2);
        }
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(dataMax / 6)));
        var step = NiceSteps.Select(m => m * magnitude).First(s => dataMax / s <= 6 + 1e-9);
        return (step * Math.Ceiling(dataMax / step - 1e-9), step);
    }

    // Axis labels stay short (2,500 then 25k, 1.2M); tooltips keep the full value.
    private static string Num(double v, bool compact) => Math.Abs(v) switch
    {
        >= 1e6 when compact => (v / 1e6).ToString("#,0.##", Inv) + "M",
        >= 1e4 when compact => (v / 1e3).ToString("#,0.##", Inv) + "k",
        _ => v.ToString("#,0.###", Inv),
    };

    private static string Esc(string text) => SecurityElement.Escape(text) ?? string.Empty;
}
