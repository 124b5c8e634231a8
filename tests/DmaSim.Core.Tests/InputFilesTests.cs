namespace DmaSim.Core.Tests;

/// <summary>Bounded reads: endless devices, huge files and directories are bad input with a reason, never memory exhaustion.</summary>
public sealed class InputFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dmasim-inputs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    public void An_endless_device_stops_at_the_limit(string device)
    {
        if (!File.Exists(device)) return;
        var link = Path.Combine(_dir, "link.yaml");
        File.CreateSymbolicLink(link, device);
        foreach (var path in new[] { device, link })
        {
            var e = Assert.Throws<InputException>(() => InputFiles.ReadBytes(path, "scenario", 1 << 20));
            Assert.Equal($"{path}: error: scenario is larger than the 1MiB limit (docs/limits.md)", e.Message);
        }
    }

    [Fact]
    public void A_directory_a_missing_file_and_a_missing_folder_say_so()
    {
        Assert.Equal($"{_dir}: error: cannot read DMAR table: it is a directory",
            Assert.Throws<InputException>(() => InputFiles.ReadBytes(_dir, "DMAR table", 1024)).Message);
        var missing = Path.Combine(_dir, "none.dat");
        Assert.Equal($"{missing}: error: cannot read DMAR table: no such file",
            Assert.Throws<InputException>(() => InputFiles.ReadBytes(missing, "DMAR table", 1024)).Message);
        var folder = Path.Combine(_dir, "no", "none.dat");
        Assert.Equal($"{folder}: error: cannot read DMAR table: no such directory",
            Assert.Throws<InputException>(() => InputFiles.ReadBytes(folder, "DMAR table", 1024)).Message);
    }

    [Fact]
    public void A_file_at_the_limit_reads_whole_and_one_byte_more_is_refused()
    {
        var path = Path.Combine(_dir, "f.txt");
        File.WriteAllText(path, "\uFEFFabc");
        Assert.Equal("abc", InputFiles.ReadText(path, "log", 6));
        Assert.Throws<InputException>(() => InputFiles.ReadText(path, "log", 5));
    }
}
