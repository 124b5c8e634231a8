using DmaSim.Core;
using static DmaSim.Scenarios.Tests.TestYaml;

namespace DmaSim.Scenarios.Tests;

/// <summary>YAML-level problems become InputExceptions at YamlDotNet's position, never a stack trace.</summary>
public sealed class YamlSyntaxTests
{
    [Fact]
    public void Syntax_error_carries_the_parser_position() => Assert.Equal(
        "t.yaml:2:8: error: YAML syntax: While scanning a plain scalar value, found invalid mapping.",
        Error(With("name: t\n", "name: t: x\n")));

    [Fact]
    public void Unclosed_flow_mapping() => Assert.Equal(
        // YamlDotNet reports where it ran out of input: the line after the unclosed `{`.
        "t.yaml:13:1: error: YAML syntax: While parsing a flow mapping, did not find expected ',' or '}'.",
        Error(Build(tail: "drivers:\n  - { device: dev\n")));

    [Fact]
    public void Scanner_crash_inside_YamlDotNet_is_still_a_positioned_error() => Assert.Equal(
        // YamlDotNet 18.1.0 throws InvalidOperationException here; the scanner had read on to line 7.
        "t.yaml:7:3: error: YAML syntax: the scanner stopped here on malformed text",
        Error(With("type: usable }", "type: usable -")));

    [Fact]
    public void Deep_nesting_is_refused_before_it_can_exhaust_the_stack() => Assert.Equal(
        "t.yaml:11:71: error: nested more than 64 levels deep; a scenario needs a handful",
        Error(Build(tail: "seed: " + new string('[', 200) + new string(']', 200) + "\n")));

    [Fact]
    public void Two_hundred_kilobytes_of_flow_nesting_stop_at_the_same_place_as_two_hundred_bytes() => Assert.Equal(
        "t.yaml:11:71: error: nested more than 64 levels deep; a scenario needs a handful",
        Error(Build(tail: "seed: " + new string('[', 200_000) + "\n")));

    [Fact]
    public void Crlf_and_bom_do_not_move_positions()
    {
        var lf = With("address-bits: 64", "adress-bits: 64");
        Assert.Equal(Error(lf), Error(lf.ReplaceLineEndings("\r\n")));
        Assert.Equal(Error(lf), Error("\uFEFF" + lf));
    }

    [Fact]
    public void Tab_in_indentation() => Assert.Equal(
        "t.yaml:4:1: error: tab character in indentation; YAML indents with spaces",
        Error(With("  physical-address-bits", "\tphysical-address-bits")));

    [Fact]
    public void Tab_after_text_is_ordinary_whitespace() =>
        Assert.Equal("t", Parse(With("name: t\n", "name:\tt\n")).Name);

    [Fact]
    public void Duplicate_key() => Assert.Equal(
        "t.yaml:11:1: error: duplicate key 'name' (first at line 2)",
        Error(Build(tail: "name: u\n")));

    [Fact]
    public void Duplicate_key_inside_a_flow_mapping() => Assert.Equal(
        "t.yaml:8:81: error: duplicate key 'name' (first at line 8)",
        Error(With("address-bits: 64 }", "address-bits: 64, name: x }")));

    [Fact]
    public void Second_document() => Assert.Equal(
        "t.yaml:11:1: error: a second YAML document; a scenario file holds exactly one",
        Error(Build(tail: "---\nschema: dmasim/v1\n")));

    [Fact]
    public void Non_scalar_key() => Assert.Equal(
        "t.yaml:11:3: error: a mapping key must be a word, not a list",
        Error(Build(tail: "? [a, b]\n: c\n")));

    [Fact]
    public void Unknown_alias() => Assert.Equal(
        "t.yaml:2:7: error: alias '*nope' names no anchor defined before it",
        Error(With("name: t\n", "name: *nope\n")));

    [Fact]
    public void Anchors_and_aliases_are_resolved() =>
        Assert.Equal("t", Parse(With("name: t\n", "name: &n t\ndescription: *n\n")).Description);

    [Fact]
    public void Comment_only_file_is_empty() => Assert.Equal(
        "t.yaml:1:1: error: the file is empty; a scenario starts with 'schema: dmasim/v1'",
        Error("# nothing here\n"));

    [Fact]
    public void Missing_file_names_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), "dmasim-no-such-dir", "missing.yaml");
        var e = Assert.Throws<InputException>(() => ScenarioLoader.Load(path));
        Assert.Equal($"{path}: error: cannot read scenario: no such directory", e.Message);
        Assert.Equal(path, e.Where.File);
    }

    [Fact]
    public void Missing_file_in_an_existing_folder()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "missing.yaml");
        Assert.Equal($"{path}: error: cannot read scenario: no such file",
            Assert.Throws<InputException>(() => ScenarioLoader.Load(path)).Message);
    }

    [Fact]
    public void Directory_instead_of_a_file() => Assert.Equal(
        $"{AppContext.BaseDirectory}: error: cannot read scenario: it is a directory",
        Assert.Throws<InputException>(() => ScenarioLoader.Load(AppContext.BaseDirectory)).Message);

    [Fact]
    public void Quoted_numbers_and_null_values()
    {
        // A quoted number is still a number; `drivers:` with nothing after it is an empty list.
        var s = Parse(With("physical-address-bits: 40", "physical-address-bits: \"40\"", tail: "drivers:\nworkload: []\n"));
        Assert.Equal(40, s.Platform.PhysicalAddressBits);
        Assert.Empty(s.Drivers);
        Assert.Empty(s.Workload);
    }

    [Fact]
    public void Empty_required_value() => Assert.Equal(
        "t.yaml:2:6: error: name is empty",
        Error(With("name: t\n", "name:\n")));
}
