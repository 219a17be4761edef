//! Horizontal bar charts as inline SVG (no script): one row per label, one bar per series,
//! on a linear or a logarithmic axis (figures that span 1 to 500,000 need the latter).

use maud::{html, Markup};

use super::Lang;

/// One row: a label and one value per series (`None`: not measured, drawn as a note).
pub struct Row {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

pub struct Chart<'a> {
    pub title: &'a str,
    pub unit: &'a str,
    pub series: &'a [&'a str],
    pub rows: Vec<Row>,
    pub log: bool,
    pub width: f64,
}

impl Chart<'_> {
    pub fn render(&self, lang: Lang) -> Markup {
        let label_w = (self.width * 0.34).min(300.0);
        let value_w = 86.0;
        let n_series = self.series.len().max(1) as f64;
        // Many bars (the lab's 17 queries × 2) are drawn thinner so the chart fits a slide.
        let dense = self.rows.len() as f64 * n_series > 20.0;
        let bar_h = if dense { 9.5 } else { 13.0 };
        let group_gap = if dense { 4.0 } else { 9.0 };
        let top = 40.0;
        let group_h = bar_h * n_series + group_gap;
        let h = top + group_h * self.rows.len() as f64 + 18.0;
        let plot_w = self.width - label_w - value_w;
        let all: Vec<f64> = self
            .rows
            .iter()
            .flat_map(|r| r.values.iter().flatten().copied())
            .collect();
        let max = all.iter().copied().fold(0.0_f64, f64::max).max(1e-9);
        // Log axis: from one decade under the smallest positive value to the largest.
        let min_pos = all
            .iter()
            .copied()
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let lo = if min_pos.is_finite() {
            10f64.powf(min_pos.log10().floor())
        } else {
            1.0
        };
        let lo = if lo >= max { max / 10.0 } else { lo };
        let scale = |v: f64| -> f64 {
            if v <= 0.0 {
                return 0.0;
            }
            if self.log {
                ((v.log10() - lo.log10()) / (max.log10() - lo.log10()).max(1e-9)).clamp(0.02, 1.0)
                    * plot_w
            } else {
                v / max * plot_w
            }
        };
        let ticks: Vec<f64> = if self.log {
            let mut t = vec![];
            let mut x = lo;
            while x <= max * 1.0001 {
                t.push(x);
                x *= 10.0;
            }
            t
        } else {
            vec![0.0, max / 2.0, max]
        };
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", self.unit)
        };
        html! {
            svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg"
                viewBox=(format!("0 0 {} {h}", self.width)) width=(self.width) height=(h) {
                title { (self.title) }
                text x="0" y="14" class="ct" { (self.title) }
                @for (k, s) in self.series.iter().enumerate() {
                    @let x = label_w + k as f64 * 170.0;
                    rect x=(x) y="22" width="10" height="10" class=(format!("s{}", series_class(k, self.series.len()))) {}
                    text x=(x + 14.0) y="31" class="lg" { (s) }
                }
                @for t in &ticks {
                    @let x = label_w + scale(*t);
                    line x1=(x) x2=(x) y1=(top - 4.0) y2=(h - 16.0) class="grid" {}
                    text x=(x) y=(h - 4.0) class="cv" text-anchor="middle" { (figure(lang, *t)) }
                }
                @for (i, r) in self.rows.iter().enumerate() {
                    @let y0 = top + i as f64 * group_h;
                    text x=(label_w - 8.0) y=(y0 + bar_h * n_series / 2.0 + 4.0) class="cl" text-anchor="end" {
                        (truncate(&r.label, (label_w / 6.2) as usize))
                    }
                    @for (k, v) in r.values.iter().enumerate() {
                        @let y = y0 + k as f64 * bar_h;
                        @match v {
                            Some(v) => {
                                @let w = scale(*v).max(1.0);
                                rect x=(label_w) y=(y) width=(format!("{w:.1}")) height=(bar_h - 2.0) rx="2"
                                    class=(format!("s{}", series_class(k, self.series.len()))) {}
                                text x=(label_w + w + 4.0) y=(y + bar_h - 3.0) class="cv" { (figure(lang, *v)) (unit) }
                            }
                            None => {
                                text x=(label_w + 4.0) y=(y + bar_h - 3.0) class="cv" { (lang.t("non mesuré", "not measured")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A value as written beside its bar: a whole number without decimals (documents examined),
/// others with the language's decimals (milliseconds).
fn figure(lang: Lang, v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        lang.int(v as i64)
    } else {
        lang.num(v)
    }
}

/// The colour class of series `k` of `n`: with two series, grey then green (before /
/// after); otherwise green, blue, grey.
fn series_class(k: usize, n: usize) -> usize {
    if n == 2 {
        k
    } else {
        [1, 2, 0][k % 3]
    }
}

pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_missing_values_said() {
        let c = Chart {
            title: "Docs <examined>",
            unit: "ms",
            series: &["a&b", "c"],
            rows: vec![
                Row {
                    label: "<script>".into(),
                    values: vec![Some(50_000.0), Some(25.0)],
                },
                Row {
                    label: "q".into(),
                    values: vec![Some(3.0), None],
                },
            ],
            log: true,
            width: 600.0,
        }
        .render(Lang::En)
        .into_string();
        assert!(c.contains("Docs &lt;examined&gt;"));
        assert!(c.contains("a&amp;b"));
        assert!(!c.contains("<script>"));
        assert!(c.contains("not measured"));
        assert!(c.contains("50,000 ms"));
        // Whole numbers are written without decimals; others keep theirs.
        assert!(c.contains(">25 ms<"), "{c}");
        assert!(!c.contains("25.0"), "{c}");
        assert_eq!(figure(Lang::Fr, 0.0), "0");
        assert_eq!(figure(Lang::Fr, 1.66), "1,66");
    }
}
