namespace DmaSim.Kernel.Dma;

/// <summary>enum dma_data_direction, with the kernel's values (include/linux/dma-direction.h).</summary>
public enum DmaDirection
{
    Bidirectional = 0,
    ToDevice = 1,
    FromDevice = 2,
    None = 3,
}
