// SPDX-License-Identifier: MIT
// The benchmark's results: rows of samples, their medians and ratios, the targets, and
// the table, CSV and JSON they are written as.
#ifndef QSEQPACKET_BENCH_RESULTS_H
#define QSEQPACKET_BENCH_RESULTS_H

#include <deque>
#include <map>
#include <string>
#include <vector>

namespace bench {

struct Row
{
    std::string section;  // the table's heading this row sits under
    std::string key;      // stable machine name: scenario/case[/size]
    std::string label;    // what a reader sees
    std::string unit;     // "pkt/s", "us", "accepts/s", "B/conn", "fd/conn", "ms", "MB/s"
    long param = 0;       // packet size (bytes) or 0
    bool higherIsBetter = true;
    std::string baseline; // key of the row the ratio is taken against ("" for none)
    std::vector<double> samples;
    std::string note;     // shown after the row

    // Adds a sample; NaN (a case that did not run) is left out.
    void add(double sample);
    double median() const;
    // The best sample: the highest where higher is better, else the lowest.
    double best() const { return higherIsBetter ? max() : min(); }
    double min() const;
    double max() const;
};

struct Check
{
    // RatioAtLeast/RatioAtMost: key's median / against's median against the threshold.
    // TimesFasterAtLeast: for times (lower is better), against's median / key's median, i.e. how
    // many times faster key is. Report: no target, the ratio is shown (key / against).
    enum Kind { RatioAtLeast, RatioAtMost, LessThan, ValueAtMost, TimesFasterAtLeast, Report };
    std::string text; // the target, as written
    std::string key;
    std::string against; // for the ratio kinds and LessThan
    Kind kind;
    double threshold = 0;
};

class Results
{
public:
    // The row for \a key, made with the other arguments the first time.
    Row &row(const std::string &section, const std::string &key, const std::string &label,
             const std::string &unit, bool higherIsBetter, const std::string &baseline = {}, long param = 0);
    const Row *find(const std::string &key) const;
    void addCheck(const Check &check) { m_checks.push_back(check); }

    // The ratio of a row's median to its baseline's (0 where there is none).
    double ratio(const Row &row) const;

    void printTable(FILE *out) const;
    void printChecks(FILE *out) const;
    bool writeCsv(const std::string &path) const;
    bool writeJson(const std::string &path, const std::map<std::string, std::string> &info) const;

private:
    struct Verdict
    {
        bool evaluated = false;
        bool met = false;
        std::string figures;
    };
    Verdict evaluate(const Check &check) const;

    std::deque<Row> m_rows; // a deque: references to rows stay valid as rows are added
    std::vector<Check> m_checks;
};

std::string formatValue(double value, const std::string &unit);

} // namespace bench

#endif
