//! Trends in the terminal: a one-line sparkline and a small bar plot with
//! its scale on the left.

use crate::render::cell::float_text;

const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One character per value, scaled between the smallest and the largest.
pub fn sparkline(values: &[f64]) -> String {
    let finite: Vec<f64> = values.iter().copied().filter(|value| value.is_finite()).collect();
    let Some((low, high)) = bounds(&finite) else {
        return String::new();
    };
    values
        .iter()
        .map(|&value| {
            if !value.is_finite() {
                return ' ';
            }
            LEVELS[level(value, low, high, LEVELS.len())]
        })
        .collect()
}

/// A bar plot `height` rows tall fitted into `width` columns (scale
/// included); more values than columns are averaged per column.
pub fn plot(values: &[f64], width: usize, height: usize) -> String {
    let finite: Vec<f64> = values.iter().copied().filter(|value| value.is_finite()).collect();
    let Some((low, high)) = bounds(&finite) else {
        return "(no values)\n".to_string();
    };
    let height = height.max(2);

    let top_label = float_text(high);
    let bottom_label = float_text(low);
    let label_width = top_label.chars().count().max(bottom_label.chars().count());
    let columns = width.saturating_sub(label_width + 2).max(1);
    let series = resample(&finite, columns);

    // Each row holds eight sub-steps so bars end in a partial block.
    let steps = height * LEVELS.len();
    let filled: Vec<usize> =
        series.iter().map(|&value| level(value, low, high, steps) + 1).collect();

    let mut out = String::new();
    for row in (0..height).rev() {
        let label = match row {
            _ if row == height - 1 => top_label.as_str(),
            0 => bottom_label.as_str(),
            _ => "",
        };
        out.push_str(&format!("{label:>label_width$} ┤"));
        for &fill in &filled {
            let base = row * LEVELS.len();
            out.push(match fill.saturating_sub(base) {
                0 => ' ',
                part if part >= LEVELS.len() => '█',
                part => LEVELS[part - 1],
            });
        }
        out.push('\n');
    }
    out
}

fn bounds(values: &[f64]) -> Option<(f64, f64)> {
    let low = values.iter().copied().reduce(f64::min)?;
    let high = values.iter().copied().reduce(f64::max)?;
    Some((low, high))
}

/// The step (0..steps) of `value` between `low` and `high`.
fn level(value: f64, low: f64, high: f64, steps: usize) -> usize {
    if high <= low {
        return steps / 2;
    }
    let ratio = (value - low) / (high - low);
    ((ratio * (steps - 1) as f64).round() as usize).min(steps - 1)
}

/// At most `columns` values: averages of equal slices when there are more.
fn resample(values: &[f64], columns: usize) -> Vec<f64> {
    if values.len() <= columns {
        return values.to_vec();
    }
    (0..columns)
        .map(|column| {
            let start = column * values.len() / columns;
            let end = ((column + 1) * values.len() / columns).max(start + 1);
            let slice = &values[start..end];
            slice.iter().sum::<f64>() / slice.len() as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_spans_lowest_to_highest() {
        assert_eq!(sparkline(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[5.0, 5.0]), "▅▅");
    }

    #[test]
    fn plot_has_its_scale_and_fits_the_width() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let text = plot(&values, 40, 4);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("99 ┤"));
        assert!(lines[3].starts_with(" 0 ┤"));
        assert!(lines.iter().all(|line| line.chars().count() <= 40));
        assert!(lines[3].ends_with('█'));
    }
}
