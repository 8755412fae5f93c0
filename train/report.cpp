#include "train/report.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tensor/atomic_file.h"

namespace heatmark {

void write_metrics_csv(const std::string& path, const std::vector<EpochRecord>& history) {
  std::string csv =
      "epoch,step,lr,train_loss,train_heatmap_mse,train_coordinate_l1,val_loss,val_mre_px,val_mre_mm,"
      "val_sdr_2mm,val_sdr_2.5mm,val_sdr_3mm,val_sdr_4mm,seconds,images_per_second\n";
  auto value = [](double v) { return v < 0 ? std::string() : fmt::format("{:.6g}", v); };  // empty when unknown
  for (const EpochRecord& r : history)
    csv += fmt::format("{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{},{},{},{},{},{:.1f},{:.2f}\n", r.epoch + 1,
                       r.step, r.lr, r.train_loss, r.train_heatmap, r.train_coordinate, r.val_loss,
                       value(r.val_mre_px), value(r.val_mre_mm), value(r.sdr[0]), value(r.sdr[1]), value(r.sdr[2]),
                       value(r.sdr[3]), r.seconds, r.images_per_second);
  write_file_atomically(path, csv);
}

namespace {
// One panel: several series over the epochs, with a y range from 0 (or the
// log of the values) to the maximum.
std::string panel(const std::vector<EpochRecord>& h, double x0, const std::string& title,
                  const std::vector<std::pair<std::string, std::vector<double>>>& series, bool log_scale) {
  const double left = x0 + 60, top = 40, pw = 380, ph = 210;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& [name, values] : series)
    for (double v : values)
      if (v > 0 && std::isfinite(v)) {
        lo = std::min(lo, log_scale ? std::log10(v) : 0.0);
        hi = std::max(hi, log_scale ? std::log10(v) : v);
      }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-9) hi = lo + 1;
  const double epochs = std::max<double>(static_cast<double>(h.size()), 2);
  std::string s = fmt::format("<text x='{}' y='24' font-size='15' font-weight='bold'>{}</text>\n", x0 + 60, title);
  s += fmt::format("<rect x='{}' y='{}' width='{}' height='{}' fill='none' stroke='#999'/>\n", left, top, pw, ph);
  for (int t = 0; t <= 4; ++t) {  // y ticks
    const double v = lo + (hi - lo) * t / 4, y = top + ph - ph * t / 4;
    s += fmt::format("<text x='{}' y='{}' font-size='11' text-anchor='end'>{:.3g}</text>\n", left - 4, y + 4,
                     log_scale ? std::pow(10, v) : v);
  }
  s += fmt::format("<text x='{}' y='{}' font-size='12' text-anchor='middle'>epoch</text>\n", left + pw / 2, top + ph + 32);
  s += fmt::format("<text x='{}' y='{}' font-size='11'>1</text><text x='{}' y='{}' font-size='11' "
                   "text-anchor='end'>{}</text>\n",
                   left, top + ph + 15, left + pw, top + ph + 15, h.size());
  const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
  for (size_t k = 0; k < series.size(); ++k) {
    std::string points;
    for (size_t i = 0; i < series[k].second.size(); ++i) {
      double v = series[k].second[i];
      if (!(v > 0) || !std::isfinite(v)) continue;
      v = log_scale ? std::log10(v) : v;
      const double x = left + pw * static_cast<double>(i) / (epochs - 1), y = top + ph - ph * (v - lo) / (hi - lo);
      points += fmt::format("{:.1f},{:.1f} ", x, y);
    }
    s += fmt::format("<polyline fill='none' stroke='{}' stroke-width='2' points='{}'/>\n", colours[k % 4], points);
    s += fmt::format("<text x='{}' y='{}' font-size='12' fill='{}'>{}</text>\n", left + 8 + 150 * k, top + ph + 52,
                     colours[k % 4], series[k].first);
  }
  return s;
}
}  // namespace

void write_curves_svg(const std::string& path, const std::vector<EpochRecord>& h, bool mm) {
  std::vector<double> train, val, mre;
  for (const EpochRecord& r : h) {
    train.push_back(r.train_loss);
    val.push_back(r.val_loss);
    mre.push_back(mm ? r.val_mre_mm : r.val_mre_px);
  }
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='920' height='310' font-family='sans-serif'>\n"
                    "<rect width='100%' height='100%' fill='white'/>\n";
  svg += panel(h, 0, "loss (log scale)", {{"train", train}, {"validation", val}}, true);
  svg += panel(h, 460, mm ? "validation MRE (mm)" : "validation MRE (px)", {{"MRE", mre}}, false);
  svg += "</svg>\n";
  write_file_atomically(path, svg);
}

Progress::Progress(std::FILE* out, int64_t epochs)
    : out_(out), tty_(::isatty(::fileno(out)) != 0), epochs_(epochs), last_plain_(std::chrono::steady_clock::now()) {}

void Progress::step(int64_t epoch, int64_t batch, int64_t batches, double loss, double lr, double ips, double left) {
  const std::string text =
      epochs_ > 0 ? fmt::format("epoch {}/{} step {}/{}  loss {:.5f}  lr {:.2e}  {:.1f} img/s  ETA {}", epoch + 1,
                                epochs_, batch + 1, batches, loss, lr, ips, format_duration(left))
                  : fmt::format("epoch {} step {}/{}  loss {:.5f}  lr {:.2e}  {:.1f} img/s  {} left", epoch + 1,
                                batch + 1, batches, loss, lr, ips, format_duration(left));
  if (tty_) {
    const int width = 24, filled = static_cast<int>(width * (batch + 1) / std::max<int64_t>(batches, 1));
    std::fprintf(out_, "\r[%s%s] %s\033[K", std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                 text.c_str());
    std::fflush(out_);
    return;
  }
  // Not a terminal (a log file, CI): a plain line for the first step, then at most every 30 seconds.
  const auto now = std::chrono::steady_clock::now();
  if (!printed_plain_ || now - last_plain_ >= std::chrono::seconds(30)) {  // the first step at once
    printed_plain_ = true;
    std::fprintf(out_, "%s\n", text.c_str());
    std::fflush(out_);
    last_plain_ = now;
  }
}

void Progress::line(const std::string& text) {
  std::fprintf(out_, tty_ ? "\r\033[K%s\n" : "%s\n", text.c_str());
  std::fflush(out_);
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace heatmark
