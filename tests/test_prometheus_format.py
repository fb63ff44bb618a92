"""The tests' Prometheus text checker refuses what the exposition format forbids (so it can fail)."""

import unittest

from tests.prometheus_format import FormatError, naming_problems, parse

GOOD = (
    "# HELP a_seconds Some help with \\\\ and \\n escapes.\n"
    "# TYPE a_seconds gauge\n"
    'a_seconds{job_name="x",outcome="a\\"b\\\\c\\nd"} 1.5\n'
    "a_seconds 2\n"
    "# a comment\n"
    "# TYPE b_total counter\n"
    "b_total{x=\"1\",} +Inf\n"
    "b_total{x=\"2\"} NaN\n"
)


class ParseTest(unittest.TestCase):
    def test_a_good_text(self):
        samples = parse(GOOD)
        self.assertEqual([(name, labels) for name, labels, _ in samples], [
            ("a_seconds", {"job_name": "x", "outcome": 'a"b\\c\nd'}),
            ("a_seconds", {}),
            ("b_total", {"x": "1"}),
            ("b_total", {"x": "2"}),
        ])
        self.assertEqual(samples[0][2], 1.5)

    def test_breaches(self):
        table = [
            ("no final line feed", "a 1", "the last line must end with a line feed"),
            ("bad metric name", "1a 1\n", "invalid metric name '1a'"),
            ("bad label name", 'a{1x="1"} 1\n', "invalid label name '1x'"),
            ("reserved label", 'a{__x="1"} 1\n', "label names starting with __ are reserved"),
            ("label twice", 'a{x="1",x="2"} 1\n', "label 'x' given twice"),
            ("bad escape", 'a{x="\\t"} 1\n', "invalid escape '\\\\t'"),
            ("unterminated", 'a{x="1} 1\n', "unterminated label value"),
            ("unquoted", "a{x=1} 1\n", 'expected label="value"'),
            ("bad value", "a 1,5\n", "invalid value '1,5'"),
            ("no value", "a\n", "expected a space before the value"),
            ("timestamp", "a 1 1700000000000\n", "a timestamp (node_exporter's textfile collector refuses them)"),
            ("two HELP", "# HELP a x\n# HELP a y\na 1\n", "a second HELP line for a"),
            ("two TYPE", "# TYPE a gauge\n# TYPE a gauge\na 1\n", "a second TYPE line for a"),
            ("TYPE after samples", "a 1\n# TYPE a gauge\n", "the TYPE line of a comes after its samples"),
            ("unknown type", "# TYPE a meter\na 1\n", "unknown metric type"),
            ("not grouped", "a 1\nb 1\na{x=\"1\"} 2\n", "the lines of metric a are not one group"),
            ("same series twice", 'a{x="1"} 1\na{x="1"} 2\n', "a second sample of the same series"),
        ]
        for name, text, message in table:
            with self.subTest(name):
                with self.assertRaises(FormatError) as caught:
                    parse(text)
                self.assertEqual(caught.exception.message, message)

    def test_naming_problems(self):
        text = ("# HELP p_runs x\n# TYPE p_runs counter\n# HELP p_x_total x\n# TYPE p_x_total gauge\n"
                "# HELP p_age_hours x\n# TYPE p_age_hours gauge\n# TYPE q_Last_timestamp gauge\n")
        self.assertEqual(naming_problems(text, "p_"), [
            "p_age_hours is not in a base unit",
            "counter p_runs does not end in _total",
            "p_x_total ends in _total but is a gauge",
            "q_Last_timestamp lacks the prefix p_",
            "q_Last_timestamp is not snake_case",
            "q_Last_timestamp: a timestamp is in seconds, ending _timestamp_seconds",
            "q_Last_timestamp has no HELP text",
        ])


if __name__ == "__main__":
    unittest.main()
