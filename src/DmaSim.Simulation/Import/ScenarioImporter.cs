using System.Text;
using DmaSim.Core;
using DmaSim.Hardware.Acpi;
using DmaSim.Hardware.Vtd;
using DmaSim.Kernel;
using DmaSim.Scenarios;

namespace DmaSim.Simulation.Import;

/// <summary>What `dmasim import` was given.</summary>
public sealed record ImportOptions(string DmesgPath, string? DmarPath, string? OutputPath, string? LspciPath = null);

/// <summary>The scenario text and the warnings (FILE:LINE: warning: …) the import raised.</summary>
public sealed record ImportResult(string Yaml, IReadOnlyList<string> Warnings);

/// <summary>
/// `dmasim import`: a kernel log (and optionally the machine's DMAR table) → a dmasim/v1 scenario that
/// reproduces that machine: its e820 map, command line, nearest profile and exact release (for the log
/// wording), the DMAR table (embedded by path, or inline units/RMRRs from the log), each unit's real
/// VER/CAP/ECAP, and the PCI functions the log names with their drivers' masks. Every guess is a comment.
/// Bad input is an <see cref="InputException"/> at FILE:LINE:COL.
/// </summary>
public static class ScenarioImporter
{
    /// <summary>Reads the files and returns the scenario text (validated by the scenario loader).</summary>
    public static string Import(ImportOptions options) => ImportWithWarnings(options).Yaml;

    /// <summary>As <see cref="Import"/>, with the warnings for doubtful input.</summary>
    public static ImportResult ImportWithWarnings(ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var log = KernelLog.Parse(InputFiles.ReadText(options.DmesgPath, "kernel log", InputFiles.MaxLogBytes), options.DmesgPath);
        var table = options.DmarPath is null ? null : DmarCodec.Load(options.DmarPath);
        var warnings = new List<string>();
        IReadOnlyDictionary<string, LspciFunction>? lspci = null;
        if (options.LspciPath is { } lp)
        {
            lspci = LspciDump.Parse(InputFiles.ReadText(lp, "lspci dump", InputFiles.MaxLogBytes), lp);
            ImportTopology.CrossCheck(log, lspci, lp, warnings);
        }
        var yaml = Write(log, table, options, lspci, warnings);
        // The output must load: a failure here is a bug of the importer, not of the input. It is reported against
        // the log (the scenario was never written), with the generated line the loader refused.
        try
        {
            ScenarioLoader.Parse(yaml, options.OutputPath ?? "imported.yaml");
        }
        catch (InputException e)
        {
            var generated = yaml.Split('\n').ElementAtOrDefault(e.Where.Line - 1)?.Trim() ?? "";
            throw new InputException(new SourceSpan(options.DmesgPath, 1, 1),
                $"the scenario imported from this log does not load, so nothing was written (an importer bug: please report it with the log): {e.Problem} — in the generated line '{generated}'");
        }
        return new ImportResult(yaml, warnings);
    }

    private static string Write(KernelLog log, DmarTable? table, ImportOptions o, IReadOnlyDictionary<string, LspciFunction>? lspci, List<string> warnings)
    {
        if (log.E820.Count == 0)
            throw new InputException(new SourceSpan(log.FileName, 1, 1), "the log has no BIOS-e820 lines: a machine needs its memory map (give the full dmesg from boot)");
        if (table is not null) CrossCheck(log, table, o.DmarPath!);

        var w = new YamlOut();
        var profile = NearestProfile.For(log.Version, out var why);
        if (log.Version is null)
            warnings.Add($"{log.FileName}:1: warning: no \"Linux version\" line: profile {profile} assumed; run with --profile for the kernel the log came from");
        w.Comment($"Imported by `dmasim import` from {Path.GetFileName(o.DmesgPath)}{(o.DmarPath is null ? "" : " and the DMAR table " + Path.GetFileName(o.DmarPath))}.");
        w.Comment("Everything below comes from the log unless a comment says it is a default or a guess.");
        if (log.SecondBootIgnored) w.Comment("The log holds more than one boot; only the first is imported.");
        w.Line("schema: dmasim/v1");
        w.Line($"name: {Slug(Path.GetFileNameWithoutExtension(o.DmesgPath).Replace(".dmesg", "", StringComparison.Ordinal))}");
        w.Line($"description: {Quote($"imported from {Path.GetFileName(o.DmesgPath)}{(log.Version is null ? "" : " (Linux " + log.Version + ")")}")}");
        w.Line("seed: 1");
        w.Line("platform:");
        var haw = table?.HostAddressWidth ?? log.HostAddressWidth;
        var maxEnd = log.E820.Max(e => e.End);
        var physBits = Math.Max(Math.Max(haw ?? 36, 36), DmaMask.Width(maxEnd));
        w.Line($"  physical-address-bits: {physBits}", haw is null ? "CPU MAXPHYADDR is not in the log: the e820 map's width (at least 36)" : "CPU MAXPHYADDR is not in the log: the DMAR host address width");
        w.Line("  memory:");
        foreach (var e in log.E820)
        {
            var (type, note) = MemoryType(e.Type);
            w.Line($"    - {{ start: {Hex.Format(e.Start)}, end: {Hex.Format(e.End)}, type: {type} }}", note);
        }
        if (log.Pci.Count == 0)
            warnings.Add($"{log.FileName}:1: warning: the log names no PCI function (no \"pci 0000:BB:DD.F\" lines): the machine gets no devices; give the full dmesg from boot");
        CheckGroupNumbers(log, warnings);
        var devices = Devices(log, lspci, warnings);
        if (table is null) MarkFirmwareDma(log, devices);
        WriteIommu(w, log, table, o, devices);
        if (log.X2ApicEvidenceAt is { } x2apic)
            w.Line("  x2apic: true", $"log line {x2apic.Line}: only an x2APIC-capable CPU prints \"{x2apic.Text}\"");
        if (log.IrqRemappingErratumAt is { } erratum)
            w.Line("  firmware-faults: [irq-remapping-erratum]", $"log line {erratum.Line}: the kernel refused interrupt remapping for the 5500/5520/X58 erratum, so intel_iommu_init parses the DMAR table, later");
        if (log.PlatformOptInForced && devices.Count > 0)
        {
            // has_external_pci / has_untrusted_dev was true, but the log does not say which port the firmware
            // marked: the first function on the root bus that is not a bridge stands for it (nothing sits below it).
            var i = devices.FindIndex(d => d.Bdf.StartsWith("00:", StringComparison.Ordinal) && !d.Line.Contains("secondary-bus", StringComparison.Ordinal));
            if (i >= 0)
                devices[i] = devices[i] with
                {
                    Line = devices[i].Line[..^2] + ", external-facing: true }",
                    Note = devices[i].Note + "; external-facing: a guess — the log's \"force enabled due to platform opt in\" needs an external-facing port, and does not name it",
                };
        }
        WriteDevices(w, log, devices);
        WriteKernel(w, log, profile, why);
        WriteLoggedMasks(w, log, devices);
        return w.ToString();
    }

    private static void CrossCheck(KernelLog log, DmarTable table, string dmarPath)
    {
        InputException Mismatch(LogLine at, string what) =>
            new(new SourceSpan(log.FileName, at.Line, at.Column), $"{what}, but the DMAR table {dmarPath} differs: not the same machine (or the firmware changed)");
        if (log.HostAddressWidth is { } haw && haw != table.HostAddressWidth)
            throw Mismatch(log.HostAddressWidthAt!.Value, $"the log says host address width {haw} (table: {table.HostAddressWidth})");
        var drhds = table.Drhds.ToList();
        var loggedDrhds = log.Dmar.Where(d => d.Kind == "DRHD").ToList();
        for (var i = 0; i < loggedDrhds.Count; i++)
        {
            var d = loggedDrhds[i];
            if (i >= drhds.Count || drhds[i].RegisterBase != d.A || drhds[i].Flags != d.B)
                throw Mismatch(d.At, $"the log's DRHD #{i} is base {Hex.Format(d.A)} flags {Hex.Format(d.B)}");
        }
        var rmrrs = table.Rmrrs.ToList();
        var loggedRmrrs = log.Dmar.Where(d => d.Kind == "RMRR").ToList();
        for (var i = 0; i < loggedRmrrs.Count; i++)
        {
            var r = loggedRmrrs[i];
            if (i >= rmrrs.Count || rmrrs[i].Base != r.A || rmrrs[i].EndLimit != r.B)
                throw Mismatch(r.At, $"the log's RMRR #{i} is {Hex.Format(r.A)}-{Hex.Format(r.B)}");
        }
    }

    /// <summary>", ioapic: [8], hpet: [0]" for a unit the log's interrupt-remapping lines name, or nothing.</summary>
    private static string InterruptScopeKeys(KernelLog log, ulong registerBase)
    {
        var mine = log.InterruptScopes.Where(s => s.Base == registerBase).ToList();
        static string Ids(IEnumerable<int> ids) => string.Join(", ", ids.Distinct());
        var ioapic = mine.Where(s => !s.IsHpet).Select(s => s.Id).ToList();
        var hpet = mine.Where(s => s.IsHpet).Select(s => s.Id).ToList();
        return (ioapic.Count > 0 ? $", ioapic: [{Ids(ioapic)}]" : "") + (hpet.Count > 0 ? $", hpet: [{Ids(hpet)}]" : "");
    }

    private static void WriteIommu(YamlOut w, KernelLog log, DmarTable? table, ImportOptions o, List<ImportedDevice> devices)
    {
        if (table is not null)
        {
            var folder = o.OutputPath is null ? null : Path.GetDirectoryName(Path.GetFullPath(o.OutputPath));
            var full = Path.GetFullPath(o.DmarPath!);
            w.Line("  iommu:");
            w.Line($"    dmar-table: {Quote(folder is null ? full : Path.GetRelativePath(folder, full))}");
            var withLines = table.Drhds.Where(d => log.Units.Any(u => u.RegisterBase == d.RegisterBase)).ToList();
            if (withLines.Count > 0)
            {
                w.Line("    registers:", "each unit's VER/CAP/ECAP as the log's unit line printed it");
                foreach (var d in withLines)
                {
                    var u = log.Units.First(x => x.RegisterBase == d.RegisterBase);
                    w.Line($"      - {{ base: {Hex.Format(d.RegisterBase)}, cap: {u.Cap:x}, ecap: {u.Ecap:x}, ver: \"{u.VerMajor}:{u.VerMinor}\" }}", $"log line {u.At.Line}");
                }
            }
            foreach (var d in table.Drhds.Where(d => !log.Units.Any(u => u.RegisterBase == d.RegisterBase)))
                w.Comment($"    unit {Hex.Format(d.RegisterBase)}: the log prints no registers for it; it reports QEMU's defaults", 0);
            return;
        }
        if (log.HostAddressWidth is not { } haw || !log.Dmar.Any(d => d.Kind == "DRHD"))
        {
            w.Line("  iommu: none", "the log shows no DMAR table (no \"Host address width\" / DRHD lines)");
            return;
        }
        w.Line("  iommu:", "inline, from the log's DMAR lines; give --dmar for the real table (the device scopes)");
        w.Line($"    host-address-width: {haw}", $"log line {log.HostAddressWidthAt!.Value.Line}");
        if (log.X2ApicOptOutAt is { } optOut) w.Line("    x2apic-opt-out: true", $"log line {optOut.Line}: interrupt remapping kept xAPIC mode for the table's X2APIC_OPT_OUT flag");
        // platform_optin_force_iommu prints its line only when dmar_platform_optin() found the table's flag.
        if (log.PlatformOptInForced) w.Line("    platform-opt-in: true", "the log's \"Intel-IOMMU force enabled due to platform opt in\": the table sets DMA_CTRL_PLATFORM_OPT_IN_FLAG");
        w.Line("    units:");
        var qemu = VtdUnitConfig.Qemu48();
        // init_dmars prints one invalidation line per unit it sets up; a unit the log leaves out was ignored
        // (init_no_remapping_devices: no device of its scope present at boot, e.g. a root port's empty slot).
        var setUp = log.UnitsWithInvalidationLine();
        foreach (var d in log.Dmar.Where(d => d.Kind == "DRHD"))
        {
            var u = log.Units.FirstOrDefault(x => x.RegisterBase == d.A);
            var regs = u is null
                ? $"cap: {qemu.BuildCap():x}, ecap: {qemu.BuildEcap():x}"
                : $"cap: {u.Cap:x}, ecap: {u.Ecap:x}, ver: \"{u.VerMajor}:{u.VerMinor}\"";
            var ignored = (d.B & 1) == 0 && setUp.Count > 0 && !setUp.Contains(d.A);
            var scope = ((d.B & 1) != 0 ? "include-pci-all: true" : ignored ? "devices: [], devices-present: false" : "devices: []") + InterruptScopeKeys(log, d.A);
            var note = (u is not null ? $"log lines {d.At.Line}, {u.At.Line}"
                    : d.A == 0 ? $"register base 0: the BIOS bug the kernel refuses the whole table for{(log.TableRefusedAt is { } refused ? $" (log line {refused.Line})" : "")}; no registers to read"
                    : "no unit line in the log: QEMU's registers")
                + ((d.B & 1) != 0 ? ""
                    : ignored ? "; the log does not show this unit's device scope, and prints no invalidation line for it where it does for other units: the kernel ignored it, so none of its devices was present"
                    : "; the log does not show this unit's device scope");
            w.Line($"      - {{ base: {Hex.Format(d.A)}, {scope}, {regs} }}", note);
        }
        var rmrrs = log.Dmar.Where(d => d.Kind == "RMRR").ToList();
        if (rmrrs.Count > 0)
        {
            w.Line("    rmrr:");
            foreach (var r in rmrrs)
            {
                if ((r.A & 0xfff) != 0 || (r.B & 0xfff) != 0xfff)
                {
                    w.Comment($"    RMRR {Hex.Format(r.A)}-{Hex.Format(r.B)} (log line {r.At.Line}) does not cover whole pages: left out", 0);
                    continue;
                }
                // 2.6.3x printed the end + 1 it passed on (iommu_prepare_identity_map), later kernels the RMRR's last byte.
                var users = log.IdentityMaps.Where(m => m.Start == r.A && (m.End == r.B || m.End == r.B + 1)).Select(m => m.Bdf[5..]).Distinct().ToList();
                var note = $"devices from the log's \"Setting identity map\" lines";
                if (users.Count == 0 && RmrrLockedAtProbe(log, devices) is { Count: > 0 } locked)
                {
                    users = locked;
                    note = $"log line {r.At.Line}; devices guessed: the log names none, and each of these took a DMA domain at probe under an identity default (\"Using iommu dma mapping\" before its driver, 5.3 – 5.7, or silence in such a group where a function wanting identity says \"private identity domain\"), which for a PCIe endpoint means an RMRR names it — which one the log does not say, so every unnamed RMRR lists them";
                }
                else if (users.Count == 0) note = $"log line {r.At.Line}; the log does not name this RMRR's devices";
                // A device the log shows faulting inside this RMRR is its user: firmware DMAs there with its requester id.
                var faulted = FaultsInto(log, r.A, r.B).Select(f => f.Bdf).Where(b => !users.Contains(b) && devices.Any(d => d.Bdf == b)).Distinct().ToList();
                if (faulted.Count > 0)
                {
                    users.AddRange(faulted);
                    note += $"; {string.Join(", ", faulted)} from the log's DMAR faults inside it (line {FaultsInto(log, r.A, r.B).First().At.Line})";
                }
                var names = users.Select(b => Quote(devices.First(x => x.Bdf == b).Name));
                w.Line($"      - {{ start: {Hex.Format(r.A)}, end: {Hex.Format(r.B)}, devices: [{string.Join(", ", names)}] }}", note);
            }
        }
        WriteExtras(w, log);
    }

    /// <summary>
    /// The ATSR/RHSA/ANDD/SATC parse lines as inline entries (flags, base and domain, device and name: all a
    /// line shows), grouped by type as a table lists them; an RHSA naming no logged unit is left out.
    /// </summary>
    private static void WriteExtras(YamlOut w, KernelLog log)
    {
        var units = log.Dmar.Where(d => d.Kind == "DRHD").Select(d => d.A).ToHashSet();
        foreach (var kind in new[] { "ATSR", "RHSA", "ANDD", "SATC" })
        {
            var entries = log.Dmar.Where(d => d.Kind == kind).ToList();
            if (entries.Count == 0) continue;
            w.Line($"    {kind.ToLowerInvariant()}:");
            foreach (var e in entries)
            {
                var at = $"log line {e.At.Line}";
                switch (kind)
                {
                    case "ATSR": w.Line($"      - {{ all-ports: {((e.A & 1) != 0 ? "true" : "false")} }}", at + "; root-port scopes are not in the log"); break;
                    case "SATC": w.Line($"      - {{ atc-required: {((e.A & 1) != 0 ? "true" : "false")} }}", at + "; device scopes are not in the log"); break;
                    case "ANDD": w.Line($"      - {{ device: {e.A}, name: {Quote(e.Name)} }}", at); break;
                    default:
                        if (units.Contains(e.A)) w.Line($"      - {{ base: {Hex.Format(e.A)}, proximity-domain: {e.B} }}", at);
                        else w.Comment($"      RHSA base {Hex.Format(e.A)} ({at}) names no DRHD of the log: left out", 0);
                        break;
                }
            }
        }
    }

    private sealed record ImportedDevice(string Bdf, string Name, string? Driver, string Line, string Note);

    /// <summary>The logged faults whose address lies in [<paramref name="start"/>, <paramref name="end"/>].</summary>
    private static IEnumerable<LoggedFault> FaultsInto(KernelLog log, ulong start, ulong end) =>
        log.Faults.Where(f => f.Address >= start && f.Address <= end);

    /// <summary>
    /// A device the log shows faulting inside a logged RMRR does firmware DMA there (a management controller's or SMM's
    /// requests carry the device's id, with or without a driver): it gets `firmware-dma: rmrr`, and the RMRR lists it.
    /// Without a table only: a table's scopes decide who an RMRR names.
    /// </summary>
    private static void MarkFirmwareDma(KernelLog log, List<ImportedDevice> devices)
    {
        var rmrrs = log.Dmar.Where(d => d.Kind == "RMRR" && (d.A & 0xfff) == 0 && (d.B & 0xfff) == 0xfff).ToList();
        for (var i = 0; i < devices.Count; i++)
        {
            var d = devices[i];
            if (d.Line.Contains("secondary-bus", StringComparison.Ordinal)) continue;
            var hit = rmrrs.SelectMany(r => FaultsInto(log, r.A, r.B)).FirstOrDefault(f => f.Bdf == d.Bdf);
            if (hit is null) continue;
            devices[i] = d with
            {
                Line = d.Line[..^2] + ", firmware-dma: rmrr }",
                Note = d.Note + $"; firmware-dma: the log shows it faulting inside an RMRR (log line {hit.At.Line}, {(hit.IsRead ? "read" : "write")} at {Hex.Format(hit.Address)})",
            };
        }
    }

    /// <summary>
    /// PCIe endpoints the log shows switching to a DMA domain at probe while the default was identity, and that no
    /// identity-map line already ties to an RMRR (KernelLog.ProbeDmaDomain); none when the log shows untrusted
    /// devices (the other reason) or a translated default.
    /// </summary>
    private static List<string> RmrrLockedAtProbe(KernelLog log, List<ImportedDevice> devices)
    {
        if (log.DefaultDomainType != "Passthrough" || log.PlatformOptInForced) return [];
        var named = log.IdentityMaps.Select(m => m.Bdf[5..]).ToHashSet(StringComparer.Ordinal);
        bool PcieEndpoint(string b) => devices.FirstOrDefault(d => d.Bdf == b) is { } d
            && d.Line.Contains("model: scripted", StringComparison.Ordinal) && !d.Line.Contains("pcie: false", StringComparison.Ordinal);
        var switched = log.ProbeDmaDomain.Distinct().Where(b => !named.Contains(b) && PcieEndpoint(b)).ToList();
        // The rest of a switched group: a later function wanting identity takes a private identity domain and says so;
        // one that prints nothing wanted the group's DMA domain too, which for a trusted PCIe endpoint means an RMRR.
        var groups = switched.Select(b => log.Pci.Values.FirstOrDefault(p => p.Bdf == b)?.IommuGroup).OfType<int>().ToHashSet();
        var silent = log.Pci.Values.Where(p => p.IommuGroup is { } g && groups.Contains(g) && !switched.Contains(p.Bdf)
            && !log.PrivateDomain.Contains(p.Bdf) && !named.Contains(p.Bdf) && PcieEndpoint(p.Bdf)).Select(p => p.Bdf);
        return [.. switched, .. silent];
    }

    /// <summary>A logged group number no boot of this many functions can reach is a warning (the log was edited or mixed).</summary>
    private static void CheckGroupNumbers(KernelLog log, List<string> warnings)
    {
        foreach (var p in log.Pci.Values.Where(p => p.IommuGroup >= log.Pci.Count))
            warnings.Add($"{log.FileName}:{p.GroupAt!.Value.Line}: warning: {p.Bdf} is in iommu group {p.IommuGroup}, but the log names only {log.Pci.Count} functions (groups count from 0): out of range");
    }

    private static List<ImportedDevice> Devices(KernelLog log, IReadOnlyDictionary<string, LspciFunction>? lspci, List<string> warnings)
    {
        foreach (var m in log.IdentityMaps)
        {
            if (!m.Bdf.StartsWith("0000:", StringComparison.Ordinal)) continue;
            var b = m.Bdf[5..];
            var key = ((ushort)0, Convert.ToByte(b[..2], 16), Convert.ToByte(b[3..5], 16), (byte)(b[6] - '0'));
            if (!log.Pci.ContainsKey(key)) log.Pci.Add(key, new LoggedPciDevice(0, key.Item2, key.Item3, key.Item4) { FirstLine = m.At.Line });
            if (m.Bdf == log.LpcBridge && log.Pci[key] is { ClassCode: null } isa)
            {
                isa.ClassCode = 0x060100;
                isa.ClassFromLpcLine = true;
            }
        }
        var list = new List<ImportedDevice>();
        foreach (var f in ImportTopology.Build(log, lspci, warnings).OrderBy(f => f.Bdf, StringComparer.Ordinal))
            list.Add(f.IsBridge ? Bridge(f) : Endpoint(f));
        return list;
    }

    // An endpoint's class code from its "type 00 class 0x…" line: the kernel tells USB, graphics, host and ISA bridges by it.
    private static string EndpointExtras(ImportedFunction f) =>
        Extras(f) + (f.Logged.ClassCode is { } c ? $", class: 0x{c:x6}" : "");

    private static string Extras(ImportedFunction f) =>
        (f.Pcie ? "" : ", pcie: false") + (f.Acs ? ", acs: true" : "") + (f.Logged.VendorDevice is { } id ? $", pci-id: \"{id}\"" : "");

    private static ImportedDevice Bridge(ImportedFunction f)
    {
        var p = f.Logged;
        var name = Slug($"{(p.PortDriver ? "pcieport" : "bridge")}-{f.Bdf.Replace(':', '-').Replace('.', '-')}");
        return new ImportedDevice(f.Bdf, name, null,
            $"{{ bdf: \"{f.Bdf}\", name: {name}, model: {f.Model}, secondary-bus: 0x{f.SecondaryBus:x2}{Extras(f)} }}",
            $"log line {p.BridgeAt!.Value.Line}: {f.Note}");
    }

    private static ImportedDevice Endpoint(ImportedFunction f)
    {
        var p = f.Logged;
        var ids = p.VendorDevice is { } vd ? $"[{vd}] class 0x{p.ClassCode:x6}; "
            : p.ClassFromLpcLine ? "ISA bridge (class 0x060100): the log's LPC unity map names it; " : "";
        var link = f.Note.Length > 0 ? f.Note + "; " : "";
        var driverName = p.Driver;
        if (driverName is null && DriverFromIds.For(p) is { } inferred)
        {
            driverName = inferred.Driver;
            ids += $"the log names no driver; {inferred.Driver} binds by {inferred.Why}; ";
        }
        var name = Slug($"{driverName ?? "pci"}-{f.Bdf.Replace(':', '-').Replace('.', '-')}");
        if (driverName is not null && _driversWithoutDma.TryGetValue(driverName, out var how))
            return new ImportedDevice(f.Bdf, name, null,
                $"{{ bdf: \"{f.Bdf}\", name: {name}, model: scripted, address-bits: 64, driver: none{EndpointExtras(f)} }}",
                $"{ids}{link}driver {driverName} binds but maps no memory ({how}), so it does no DMA; PCI defaults 32/32 (drivers/pci/probe.c)");
        if (driverName is not null && DriverCatalogue.TryGet(driverName, out var entry))
        {
            var (streaming, coherent, chip) = entry.MasksFor(PciId(p.VendorDevice));
            var source = $"catalogue masks {streaming}/{coherent}";
            if (p.Masks is { } logged)
            {
                // The driver printed what it got: that beats the catalogue's principal case (the drivers: entry sets it).
                (streaming, coherent) = (logged.Streaming, logged.Coherent);
                source = $"masks {streaming}/{coherent} as the driver printed them (log line {logged.At.Line}; drivers: below)";
            }
            var bits = Math.Max(streaming, coherent);
            // A driver that sets a narrower coherent mask than its streaming mask does so because its hardware
            // fetches control structures (rings, queues) with fewer address lines (hpsa: "the Inbound Post Queue
            // takes 32-bit addresses"): those lines are assumed to be the coherent mask, so the default workload's
            // ring fetches meet the same limit the real controller has.
            var narrow = coherent < streaming;
            var descriptor = narrow ? $", descriptor-address-bits: {coherent}" : "";
            var descriptorNote = narrow ? $"; descriptor lines assumed = the {coherent}-bit coherent mask" : "";
            var chipNote = chip is null ? "" : $" — {chip}";
            return new ImportedDevice(f.Bdf, name, entry.Name,
                $"{{ bdf: \"{f.Bdf}\", name: {name}, model: scripted, address-bits: {bits}{descriptor}, driver: {driverName}{EndpointExtras(f)} }}",
                $"{ids}{link}driver {driverName}: {source}{chipNote} ({entry.SourcePath}); silicon width assumed = the wider mask{descriptorNote}");
        }
        if (driverName is null)
            return new ImportedDevice(f.Bdf, name, null,
                $"{{ bdf: \"{f.Bdf}\", name: {name}, model: scripted, address-bits: 64, driver: none{EndpointExtras(f)} }}",
                $"{ids}{link}no driver named in the log: none bound, so it does no DMA (give driver: NAME if one binds silently); PCI defaults 32/32 (drivers/pci/probe.c); silicon width unknown, 64 assumed");
        return new ImportedDevice(f.Bdf, name, null,
            $"{{ bdf: \"{f.Bdf}\", name: {name}, model: scripted, address-bits: 64{EndpointExtras(f)} }}",
            $"{ids}{link}driver {driverName} is not in the catalogue: PCI defaults 32/32 (drivers/pci/probe.c); silicon width unknown, 64 assumed");
    }

    // Drivers of PCI functions that never call the DMA API: the function does no DMA, as if no driver were bound.
    private static readonly Dictionary<string, string> _driversWithoutDma = new(StringComparer.Ordinal)
    {
        ["i801_smbus"] = "drivers/i2c/busses/i2c-i801.c: the SMBus host is driven through its I/O registers",
        ["lpc_ich"] = "drivers/mfd/lpc_ich.c: only registers the GPIO and watchdog cells",
        ["intel_pch_thermal"] = "drivers/thermal/intel/intel_pch_thermal.c: reads its MMIO registers",
        ["shpchp"] = "drivers/pci/hotplug/shpchp: the hotplug controller's registers only",
        // Evidence beside the source: under 5.4 pass-through the first map of a 32-bit device prints "32bit DMA uses
        // non-identity mapping"; the HP DL388p Gen8 5.4.0 log has that line for uhci_hcd 01:00.4 and none for mgag200 01:00.1.
        ["mgag200"] = "drivers/gpu/drm/mgag200: scanout buffers live in the card's VRAM (TTM/GEM VRAM placements; the fbdev shadow is copied by the CPU)",
    };

    /// <summary>The log's "vvvv:dddd" as the scenario's pci-id pair.</summary>
    private static (ushort Vendor, ushort Device)? PciId(string? vendorDevice) =>
        vendorDevice is { Length: 9 } v
            ? (Convert.ToUInt16(v[..4], 16), Convert.ToUInt16(v[5..], 16))
            : null;

    private static void WriteDevices(YamlOut w, KernelLog log, List<ImportedDevice> devices)
    {
        if (log.OtherSegmentFunctions.Count > 0)
            w.Comment($"  Not imported (PCI segment other than 0): {string.Join(", ", log.OtherSegmentFunctions)}", 0);
        if (devices.Count == 0)
        {
            w.Line("  devices: []", "the log names no PCI function");
            return;
        }
        w.Line("  devices:");
        foreach (var d in devices) w.Line($"    - {d.Line}", d.Note);
        WriteRootBuses(w, log, devices);
    }

    /// <summary>
    /// `root-buses` when the log scanned its root buses out of ascending order: x86 adds the ACPI host bridges first, then
    /// the peer buses it probes for ("PCI: Discovered peer bus 1f"), so the scan, and with it the iommu group numbers, puts
    /// bus 20's devices before bus 1f's.
    /// </summary>
    private static void WriteRootBuses(YamlOut w, KernelLog log, List<ImportedDevice> devices)
    {
        var bridged = log.Pci.Values.Where(p => p.SecondaryBus is not null).Select(p => (byte)p.SecondaryBus!.Value).ToHashSet();
        var used = devices.Select(d => Convert.ToByte(d.Bdf[..2], 16)).ToHashSet();
        var order = log.RootBusOrder.Where(r => used.Contains(r.Bus) && !bridged.Contains(r.Bus)).ToList();
        var ascending = order.Select(r => r.Bus).OrderBy(b => b).ToList();
        if (order.Select(r => r.Bus).SequenceEqual(ascending)) return;
        var first = order.Zip(ascending).First(x => x.First.Bus != x.Second);
        w.Line($"  root-buses: [{string.Join(", ", order.Select(r => $"0x{r.Bus:x2}"))}]",
            $"log line {first.First.Line}: the kernel scanned root bus {first.First.Bus:x2} before {first.Second:x2} (host bridges first, then the peer buses it probed)");
    }

    /// <summary>`drivers:` entries for the masks drivers printed (megaraid_sas: "63 bit DMA mask and 63 bit consistent mask").</summary>
    private static void WriteLoggedMasks(YamlOut w, KernelLog log, List<ImportedDevice> devices)
    {
        var logged = log.Pci.Values.Where(p => p.Masks is not null).OrderBy(p => p.FirstLine).ToList();
        if (logged.Count == 0) return;
        w.Line("drivers:");
        foreach (var p in logged)
        {
            var (streaming, coherent, at) = p.Masks!.Value;
            var bdf = $"{p.Bus:x2}:{p.Device:x2}.{p.Function}";
            if (devices.FirstOrDefault(d => d.Bdf == bdf) is not { } d) continue;
            w.Line($"  - {{ device: {Quote(d.Name)}, dma-mask-bits: {streaming}, coherent-dma-mask-bits: {coherent} }}", $"log line {at.Line}: the masks the driver printed");
        }
    }

    private static void WriteKernel(YamlOut w, KernelLog log, string profile, string why)
    {
        w.Line("kernel:");
        w.Line($"  profile: {profile}", why);
        if (log.Version is { } v) w.Line($"  version: {Quote(v)}", $"log line {log.VersionAt!.Value.Line}: selects the DMAR log wording");
        var cmdline = log.Cmdline ?? "";
        var notes = new List<string>();
        var has = (string opt) => cmdline.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(t => t.StartsWith(opt, StringComparison.Ordinal));
        var config = new List<(string Key, string Why)>();
        if (log.PlatformOptInForced)
            config.Add(("intel-iommu-default-on: false", "the log's \"Intel-IOMMU force enabled due to platform opt in\": the build's VT-d default was off (CONFIG_INTEL_IOMMU_DEFAULT_ON unset)"));
        // iommu_subsys_init marks a type or policy the command line chose; without the mark the build chose it.
        if (log.DefaultDomainType == "Passthrough" && !log.DefaultDomainTypeViaCmdline && !has("iommu=pt"))
            config.Add(("iommu-default-dma: passthrough", "the log's \"Default domain type: Passthrough\" without \"(set via kernel command line)\": CONFIG_IOMMU_DEFAULT_PASSTHROUGH"));
        else if (log.InvalidationPolicy == "strict" && !log.InvalidationPolicyViaCmdline && !IntelIommuOption(cmdline, "strict"))
            config.Add(("iommu-default-dma: strict", "the log's \"invalidation policy: strict mode\" without \"(set via kernel command line)\" nor intel_iommu=strict: CONFIG_IOMMU_DEFAULT_DMA_STRICT"));
        // The distribution's default (CONFIG_INTEL_IOMMU_DEFAULT_ON, Debian's patch) is not in the command line, and
        // intel_iommu= there would print a line the log does not have ("DMAR: IOMMU enabled"); the build default says it.
        if (!log.PlatformOptInForced && !has("intel_iommu=") && log.Dmar.Count > 0 && !log.RemappingActive && log.TableRefusedAt is null)
            config.Add(("intel-iommu-default-on: false", "the log shows DMA remapping off (no VT-d banner, no iommu groups) without intel_iommu=: the build left VT-d off"));
        else if (!log.PlatformOptInForced && !has("intel_iommu=") && log.Dmar.Count > 0 && log.RemappingActive)
            notes.Add("VT-d on by the build's default (the simulator's too): the log shows DMA remapping active (VT-d banner / iommu groups) without intel_iommu=");
        if (config.Count > 0)
            w.Line($"  config: {{ {string.Join(", ", config.Select(c => c.Key))} }}", string.Join("; ", config.Select(c => c.Why)));
        if (log.DefaultDomainType == "Passthrough" && log.DefaultDomainTypeViaCmdline && !has("iommu=pt") && !has("iommu.passthrough=1"))
        {
            cmdline += " iommu=pt";
            notes.Add("iommu=pt added: the log's default domain type is Passthrough");
        }
        w.Line($"  cmdline: {Quote(cmdline)}", notes.Count > 0 ? string.Join("; ", notes) : log.Cmdline is null ? "no \"Command line:\" in the log" : "from the log's \"Command line:\"");
    }

    // intel_iommu= takes a comma list, each option matched by its prefix (intel_iommu_setup, as KernelCmdline parses it):
    // "intel_iommu=on,strict" asks for strict as well, and so does "intel_iommu=on,strictly".
    private static bool IntelIommuOption(string cmdline, string value) =>
        KernelCmdline.Parse(cmdline).IntelIommuOptions.Any(o => o.Name == value);

    private static (string Type, string? Note) MemoryType(string kernelName) => kernelName switch
    {
        "usable" => ("usable", null),
        "reserved" => ("reserved", null),
        "ACPI data" => ("acpi", null),
        "ACPI NVS" => ("nvs", null),
        "unusable" => ("unusable", null),
        // soft reserved (EFI specific-purpose memory), persistent memory and numbered types are not RAM the page
        // allocator gets (arch/x86/kernel/e820.c: only E820_TYPE_RAM and RESERVED_KERN are), so reserved.
        _ => ("reserved", $"the log says '{kernelName}': imported as reserved"),
    };

    private static string Slug(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-');
        var s = sb.ToString().Trim('-', '.', '_');
        return s.Length == 0 ? "imported" : s;
    }

    private static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>YAML text with aligned trailing comments.</summary>
    private sealed class YamlOut
    {
        private readonly StringBuilder _sb = new();

        public void Line(string text, string? comment = null)
        {
            _sb.Append(text);
            if (comment is not null) _sb.Append("   # ").Append(comment);
            _sb.Append('\n');
        }

        public void Comment(string text, int indent = 0) => _sb.Append(new string(' ', indent)).Append("# ").Append(text).Append('\n');

        public override string ToString() => _sb.ToString();
    }
}
