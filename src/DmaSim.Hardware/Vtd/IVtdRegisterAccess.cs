namespace DmaSim.Hardware.Vtd;

/// <summary>
/// The MMIO view of a remapping unit: all that software (the kernel model) may use, besides the tables it writes
/// into memory. <see cref="VtdUnit"/> implements it; the driver stores only this interface so it cannot reach
/// the unit's internals.
/// </summary>
public interface IVtdRegisterAccess
{
    /// <summary>4- or 8-byte read at an offset from the unit's register base.</summary>
    ulong ReadRegister(int offset, int size);

    /// <summary>4- or 8-byte write at an offset from the unit's register base.</summary>
    void WriteRegister(int offset, ulong value, int size);
}
