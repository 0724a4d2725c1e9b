// SPDX-License-Identifier: MIT
#include "results.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bench {

namespace {

double medianOf(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string jsonEscape(const std::string &s)
{
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buffer[8];
            std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
            out += buffer;
        } else {
            out += c;
        }
    }
    return out;
}

std::string csvField(const std::string &s)
{
    if (s.find_first_of(",\"\n") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + "\"";
}

std::string number(double v)
{
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.6g", v);
    return buffer;
}

} // namespace

void Row::add(double sample)
{
    if (!std::isnan(sample))
        samples.push_back(sample);
}

double Row::median() const { return medianOf(samples); }
double Row::min() const { return samples.empty() ? 0 : *std::min_element(samples.begin(), samples.end()); }
double Row::max() const { return samples.empty() ? 0 : *std::max_element(samples.begin(), samples.end()); }

namespace {

// The ratios a / b of the repetitions, where both rows have a sample of each (the cases of a group
// run interleaved, so a repetition's samples share its moment's load): ", per repetition: median
// M (L-H)", or "" where the rows' samples do not pair up or there is only one repetition.
std::string perRepetition(const Row &a, const Row &b, bool inverse)
{
    if (a.samples.size() != b.samples.size() || a.samples.size() < 2)
        return {};
    std::vector<double> ratios;
    for (size_t i = 0; i < a.samples.size(); ++i) {
        const double num = inverse ? b.samples[i] : a.samples[i];
        const double den = inverse ? a.samples[i] : b.samples[i];
        if (den == 0)
            return {};
        ratios.push_back(num / den);
    }
    const auto [low, high] = std::minmax_element(ratios.begin(), ratios.end());
    char buffer[96];
    std::snprintf(buffer, sizeof(buffer), "; per repetition: median %.2f (%.2f-%.2f)", medianOf(ratios), *low, *high);
    return buffer;
}

} // namespace

std::string formatValue(double value, const std::string &unit)
{
    char buffer[64];
    const bool rate = unit.size() > 2 && unit.compare(unit.size() - 2, 2, "/s") == 0 && unit != "MB/s" && unit != "MiB/s";
    if (rate) {
        if (value >= 1e6)
            std::snprintf(buffer, sizeof(buffer), "%.3f M", value / 1e6);
        else if (value >= 1e3)
            std::snprintf(buffer, sizeof(buffer), "%.1f k", value / 1e3);
        else
            std::snprintf(buffer, sizeof(buffer), "%.0f", value);
    } else if (unit == "B/conn" || unit == "MB/s" || unit == "MiB/s") {
        std::snprintf(buffer, sizeof(buffer), "%.0f", value);
    } else {
        std::snprintf(buffer, sizeof(buffer), "%.2f", value);
    }
    return buffer;
}

Row &Results::row(const std::string &section, const std::string &key, const std::string &label,
                  const std::string &unit, bool higherIsBetter, const std::string &baseline, long param)
{
    for (Row &r : m_rows) {
        if (r.key == key)
            return r;
    }
    Row r;
    r.section = section;
    r.key = key;
    r.label = label;
    r.unit = unit;
    r.higherIsBetter = higherIsBetter;
    r.baseline = baseline;
    r.param = param;
    m_rows.push_back(r);
    return m_rows.back();
}

const Row *Results::find(const std::string &key) const
{
    for (const Row &r : m_rows) {
        if (r.key == key)
            return &r;
    }
    return nullptr;
}

double Results::ratio(const Row &row) const
{
    if (row.baseline.empty())
        return 0;
    const Row *base = find(row.baseline);
    if (!base || base->samples.empty() || base->median() == 0)
        return 0;
    return row.median() / base->median();
}

void Results::printTable(FILE *out) const
{
    std::string section;
    std::fprintf(out, "%-52s %11s %11s %11s  %-9s %s\n", "case", "median", "min", "max", "unit", "ratio (of medians)");
    for (const Row &r : m_rows) {
        if (r.samples.empty())
            continue;
        if (r.section != section) {
            section = r.section;
            std::fprintf(out, "\n%s\n", section.c_str());
        }
        std::string ratioText;
        if (!r.baseline.empty()) {
            const Row *base = find(r.baseline);
            const double q = ratio(r);
            char buffer[128];
            if (r.baseline == r.key || (base && base->key == r.key))
                std::snprintf(buffer, sizeof(buffer), "1.00 (baseline)");
            else if (q > 0)
                std::snprintf(buffer, sizeof(buffer), "%.2f x %s", q, base ? base->label.c_str() : r.baseline.c_str());
            else
                buffer[0] = 0;
            ratioText = buffer;
        }
        std::fprintf(out, "  %-50s %11s %11s %11s  %-9s %s%s%s\n", r.label.c_str(),
                     formatValue(r.median(), r.unit).c_str(), formatValue(r.min(), r.unit).c_str(),
                     formatValue(r.max(), r.unit).c_str(), r.unit.c_str(), ratioText.c_str(),
                     r.note.empty() ? "" : "  ", r.note.c_str());
    }
}

Results::Verdict Results::evaluate(const Check &check) const
{
    Verdict v;
    const Row *a = find(check.key);
    if (!a || a->samples.empty())
        return v;
    char buffer[320];
    switch (check.kind) {
    case Check::RatioAtLeast:
    case Check::RatioAtMost:
    case Check::LessThan: {
        const Row *b = find(check.against);
        if (!b || b->samples.empty() || b->median() == 0)
            return v;
        const double q = a->median() / b->median();
        v.evaluated = true;
        if (check.kind == Check::RatioAtLeast)
            v.met = q >= check.threshold;
        else if (check.kind == Check::RatioAtMost)
            v.met = q <= check.threshold;
        else
            v.met = a->median() < b->median();
        std::snprintf(buffer, sizeof(buffer), "%s vs %s %s = %.3f x (best to best: %.3f x%s)",
                      formatValue(a->median(), a->unit).c_str(), formatValue(b->median(), b->unit).c_str(),
                      b->unit.c_str(), q, b->best() != 0 ? a->best() / b->best() : 0.0,
                      perRepetition(*a, *b, false).c_str());
        break;
    }
    case Check::TimesFasterAtLeast:
    case Check::Report: {
        const Row *b = find(check.against);
        if (!b || b->samples.empty() || b->median() == 0 || a->median() == 0)
            return v;
        const bool faster = check.kind == Check::TimesFasterAtLeast;
        const double q = faster ? b->median() / a->median() : a->median() / b->median();
        const double bestQ = faster ? (a->best() != 0 ? b->best() / a->best() : 0.0)
                                    : (b->best() != 0 ? a->best() / b->best() : 0.0);
        v.evaluated = true;
        v.met = faster ? q >= check.threshold : true;
        std::snprintf(buffer, sizeof(buffer), "%s vs %s %s = %.3f x%s (best to best: %.3f x%s)",
                      formatValue(a->median(), a->unit).c_str(), formatValue(b->median(), b->unit).c_str(),
                      b->unit.c_str(), q, faster ? " faster" : "", bestQ, perRepetition(*a, *b, faster).c_str());
        break;
    }
    case Check::ValueAtMost:
        v.evaluated = true;
        v.met = a->median() <= check.threshold;
        std::snprintf(buffer, sizeof(buffer), "%s %s (limit %s)", formatValue(a->median(), a->unit).c_str(),
                      a->unit.c_str(), formatValue(check.threshold, a->unit).c_str());
        break;
    }
    v.figures = buffer;
    return v;
}

void Results::printChecks(FILE *out) const
{
    std::fprintf(out, "\nTargets (issues #5 and #12; medians from this run, informational only)\n");
    for (const Check &c : m_checks) {
        const Verdict v = evaluate(c);
        if (!v.evaluated)
            continue;
        const char *verdict = c.kind == Check::Report ? "--" : v.met ? "MET" : "MISSED";
        std::fprintf(out, "  %-7s %-55s %s\n", verdict, c.text.c_str(), v.figures.c_str());
    }
}

bool Results::writeCsv(const std::string &path) const
{
    FILE *f = std::fopen(path.c_str(), "w");
    if (!f)
        return false;
    std::fprintf(f, "section,key,label,param,unit,median,min,max,reps,baseline,ratio,samples\n");
    for (const Row &r : m_rows) {
        if (r.samples.empty())
            continue;
        std::string samples;
        for (double s : r.samples)
            samples += (samples.empty() ? "" : " ") + number(s);
        std::fprintf(f, "%s,%s,%s,%ld,%s,%s,%s,%s,%zu,%s,%s,%s\n", csvField(r.section).c_str(), csvField(r.key).c_str(),
                     csvField(r.label).c_str(), r.param, csvField(r.unit).c_str(), number(r.median()).c_str(),
                     number(r.min()).c_str(), number(r.max()).c_str(), r.samples.size(), csvField(r.baseline).c_str(),
                     number(ratio(r)).c_str(), samples.c_str());
    }
    return std::fclose(f) == 0;
}

bool Results::writeJson(const std::string &path, const std::map<std::string, std::string> &info) const
{
    FILE *f = std::fopen(path.c_str(), "w");
    if (!f)
        return false;
    std::fprintf(f, "{\n  \"info\": {");
    bool first = true;
    for (const auto &[k, v] : info) {
        std::fprintf(f, "%s\n    \"%s\": \"%s\"", first ? "" : ",", jsonEscape(k).c_str(), jsonEscape(v).c_str());
        first = false;
    }
    std::fprintf(f, "\n  },\n  \"rows\": [");
    first = true;
    for (const Row &r : m_rows) {
        if (r.samples.empty())
            continue;
        std::string samples;
        for (double s : r.samples)
            samples += (samples.empty() ? "" : ", ") + number(s);
        std::fprintf(f,
                     "%s\n    {\"section\": \"%s\", \"key\": \"%s\", \"label\": \"%s\", \"param\": %ld, \"unit\": \"%s\", "
                     "\"higher_is_better\": %s, \"median\": %s, \"min\": %s, \"max\": %s, \"baseline\": \"%s\", "
                     "\"ratio\": %s, \"samples\": [%s]}",
                     first ? "" : ",", jsonEscape(r.section).c_str(), jsonEscape(r.key).c_str(), jsonEscape(r.label).c_str(),
                     r.param, jsonEscape(r.unit).c_str(), r.higherIsBetter ? "true" : "false", number(r.median()).c_str(),
                     number(r.min()).c_str(), number(r.max()).c_str(), jsonEscape(r.baseline).c_str(),
                     number(ratio(r)).c_str(), samples.c_str());
        first = false;
    }
    std::fprintf(f, "\n  ],\n  \"targets\": [");
    first = true;
    for (const Check &c : m_checks) {
        const Verdict v = evaluate(c);
        if (!v.evaluated)
            continue;
        std::fprintf(f, "%s\n    {\"target\": \"%s\", \"met\": %s, \"figures\": \"%s\"}", first ? "" : ",",
                     jsonEscape(c.text).c_str(), c.kind == Check::Report ? "null" : v.met ? "true" : "false",
                     jsonEscape(v.figures).c_str());
        first = false;
    }
    std::fprintf(f, "\n  ]\n}\n");
    return std::fclose(f) == 0;
}

} // namespace bench
