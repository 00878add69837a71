//! `chart`: a sweep CSV drawn as an SVG of two line charts, throughput against connections and
//! throughput against keys, one line per server, both axes logarithmic.

use std::fmt::Write as _;
use std::path::Path;

use crate::ChartArgs;

/// Width of one panel, in SVG units.
const PANEL_W: f64 = 460.0;
/// Height of the whole chart.
const HEIGHT: f64 = 380.0;
/// Margins around each plot area: left, right, top, bottom.
const MARGIN: (f64, f64, f64, f64) = (70.0, 20.0, 60.0, 50.0);
/// Line colours, one per server in order of first appearance.
const COLOURS: [&str; 4] = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700"];

/// One point of the CSV.
#[derive(Debug, Clone, PartialEq)]
struct Point {
    /// `connections` or `keys`.
    sweep: String,
    /// The server's name.
    server: String,
    /// The swept value.
    x: f64,
    /// Requests per second.
    rps: f64,
}

/// Reads `args.csv` and writes the chart to `args.svg`.
pub fn run(args: &ChartArgs) -> Result<(), String> {
    let csv = std::fs::read_to_string(&args.csv)
        .map_err(|e| format!("reading {}: {e}", args.csv.display()))?;
    write(&csv, "encrypt-64", &args.svg)
}

/// Draws `csv` (the output of `sweep` for `workload`) into the SVG file `path`.
pub fn write(csv: &str, workload: &str, path: &Path) -> Result<(), String> {
    let points = parse(csv)?;
    let svg = render(&points, workload);
    std::fs::write(path, svg).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The points of a sweep CSV.
fn parse(csv: &str) -> Result<Vec<Point>, String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("CSV has no {name} column"))
    };
    let (sweep, server) = (column("sweep")?, column("server")?);
    let (conns, keys, rps) = (
        column("connections")?,
        column("keys")?,
        column("requests_per_second")?,
    );

    // One point per row; the swept column gives x.
    let mut points = Vec::new();
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        let number = |i: usize| {
            cells
                .get(i)
                .and_then(|c| c.parse::<f64>().ok())
                .ok_or(format!("CSV row {}: bad number", n + 2))
        };
        let kind = cells.get(sweep).copied().unwrap_or_default().to_owned();
        let x = number(if kind == "keys" { keys } else { conns })?;
        let name = cells.get(server).copied().unwrap_or_default().to_owned();
        points.push(Point {
            sweep: kind,
            server: name,
            x,
            rps: number(rps)?,
        });
    }
    Ok(points)
}

/// The SVG document of both panels.
fn render(points: &[Point], workload: &str) -> String {
    // The servers in order of first appearance give the colours.
    let mut servers: Vec<&str> = Vec::new();
    for p in points {
        if !servers.contains(&p.server.as_str()) {
            servers.push(&p.server);
        }
    }

    // One y range for both panels, whole decades.
    let positive = points.iter().map(|p| p.rps).filter(|r| *r > 0.0);
    let low = positive
        .clone()
        .fold(f64::INFINITY, f64::min)
        .max(0.1)
        .log10()
        .floor();
    let high = positive.fold(1.0, f64::max).log10().ceil().max(low + 1.0);

    // The document, its title and legend, then both panels.
    let width = PANEL_W * 2.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {width} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{} requests per second \
         (log scale)</text>\n",
        width / 2.0,
        escape(workload)
    );
    for (i, server) in servers.iter().enumerate() {
        let x = width / 2.0 - 60.0 * servers.len() as f64 / 2.0 + 60.0 * i as f64;
        let colour = COLOURS[i % COLOURS.len()];
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"32\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"43\">{}</text>",
            x + 16.0,
            escape(server)
        );
    }
    for (i, (sweep, label)) in [("connections", "connections (1 key)"), ("keys", "keys")]
        .iter()
        .enumerate()
    {
        let panel: Vec<&Point> = points.iter().filter(|p| p.sweep == *sweep).collect();
        panel_svg(
            &mut svg,
            &panel,
            &servers,
            PANEL_W * i as f64,
            label,
            (low, high),
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Draws one panel whose left edge is at `left`, with y decades `low..=high` (log10).
fn panel_svg(
    svg: &mut String,
    points: &[&Point],
    servers: &[&str],
    left: f64,
    label: &str,
    (low, high): (f64, f64),
) {
    // The plot area and the mapping of values into it.
    let (x0, x1) = (left + MARGIN.0, left + PANEL_W - MARGIN.1);
    let (y0, y1) = (HEIGHT - MARGIN.3, MARGIN.2);
    let mut xs: Vec<f64> = points.iter().map(|p| p.x.max(1.0)).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let (xmin, xmax) = (
        xs.first().copied().unwrap_or(1.0),
        xs.last().copied().unwrap_or(10.0),
    );
    let span = (xmax.log10() - xmin.log10()).max(1e-9);
    let px = |x: f64| x0 + (x.max(1.0).log10() - xmin.log10()) / span * (x1 - x0);
    let py = |r: f64| y0 - (r.max(10f64.powf(low)).log10() - low) / (high - low) * (y0 - y1);

    // Axes, decade grid lines on y, a tick per swept value on x.
    let _ = writeln!(
        svg,
        "<rect x=\"{x0}\" y=\"{y1}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>",
        x1 - x0,
        y0 - y1
    );
    for decade in (low as i32)..=(high as i32) {
        let y = py(10f64.powi(decade));
        let _ = writeln!(
            svg,
            "<line x1=\"{x0}\" y1=\"{y:.1}\" x2=\"{x1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            x0 - 6.0,
            y + 4.0,
            short(10f64.powi(decade))
        );
    }
    for &x in &xs {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            px(x),
            y0 + 16.0,
            short(x)
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        (x0 + x1) / 2.0,
        y0 + 36.0,
        escape(label)
    );

    // One line per server, a dot and its value at each point.
    for (i, server) in servers.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let mut mine: Vec<&&Point> = points.iter().filter(|p| p.server == *server).collect();
        mine.sort_by(|a, b| a.x.total_cmp(&b.x));
        let path: Vec<String> = mine
            .iter()
            .map(|p| format!("{:.1},{:.1}", px(p.x), py(p.rps)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
            path.join(" ")
        );
        for p in mine {
            let (cx, cy) = (px(p.x), py(p.rps));
            let _ = writeln!(
                svg,
                "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3.5\" fill=\"{colour}\"/>\
                 <text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" \
                 fill=\"{colour}\">{}</text>",
                cy - 8.0,
                short(p.rps)
            );
        }
    }
}

/// A number in a few characters: 950, 1.2k, 31k, 1M.
fn short(value: f64) -> String {
    match value {
        v if v >= 1e6 => format!("{}M", trim(v / 1e6)),
        v if v >= 1e3 => format!("{}k", trim(v / 1e3)),
        v => trim(v),
    }
}

/// One decimal below ten, none above; no trailing `.0`.
fn trim(value: f64) -> String {
    let text = if value < 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    };
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

/// `text` with the XML special characters escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "sweep,server,connections,keys,requests_per_second,p50_ms,p99_ms,p999_ms,errors,server_peak_rss_kib\n\
        connections,kmsd,1,1,5000.0,0.1,0.2,0.3,0,1000\n\
        connections,moto,1,1,300.0,1,2,3,0,\n\
        keys,kmsd,64,1000,20000.0,1,2,3,0,2000\n\
        keys,moto,64,1000,250.0,1,2,3,0,\n";

    #[test]
    fn parses_rows_with_the_swept_value_as_x() {
        let points = parse(CSV).unwrap_or_default();
        assert_eq!(points.len(), 4);
        assert_eq!(points[2].x, 1000.0);
        assert_eq!(points[0].x, 1.0);
    }

    #[test]
    fn renders_a_line_per_server_and_panel() {
        let svg = render(&parse(CSV).unwrap_or_default(), "encrypt-64");
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<polyline").count(), 4);
        assert!(svg.contains(">5k<"));
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short(950.0), "950");
        assert_eq!(short(1234.0), "1.2k");
        assert_eq!(short(31_000.0), "31k");
        assert_eq!(short(1e6), "1M");
    }
}
