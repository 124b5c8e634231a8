using DmaSim.Core;

namespace DmaSim.Scenarios.Tests;

/// <summary>
/// A minimal valid scenario to mutate. Its lines are fixed so tests can state exact positions:
/// lines 1–8 up to the one device, then <c>platformTail</c>, then `kernel:` (line 9 when the tail is
/// empty, profile on line 10), then <c>tail</c> from line 11.
/// </summary>
internal static class TestYaml
{
    public const string FileName = "t.yaml";

    public const string Base =
        "schema: dmasim/v1\n" +
        "name: t\n" +
        "platform:\n" +
        "  physical-address-bits: 40\n" +
        "  memory:\n" +
        "    - { start: 0x0, end: 0xbfffffff, type: usable }\n" +
        "  devices:\n" +
        "    - { bdf: \"03:00.0\", name: dev, model: storage-controller, address-bits: 64 }\n";

    public const string Kernel = "kernel:\n  profile: linux-2.6.32\n";

    public static string Build(string platformTail = "", string tail = "") => Base + platformTail + Kernel + tail;

    /// <summary>The base with one piece of text replaced (the line count stays the same unless the text adds lines).</summary>
    public static string With(string oldText, string newText, string tail = "")
    {
        var text = Build(tail: tail);
        Assert.Contains(oldText, text, StringComparison.Ordinal);
        return text.Replace(oldText, newText, StringComparison.Ordinal);
    }

    public static Scenario Parse(string yaml) => ScenarioLoader.Parse(yaml, FileName);

    /// <summary>The full message of the error the text causes.</summary>
    public static string Error(string yaml) => Assert.Throws<InputException>(() => Parse(yaml)).Message;
}
