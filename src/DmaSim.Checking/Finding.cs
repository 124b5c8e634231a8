using DmaSim.Core;

namespace DmaSim.Checking;

/// <summary>One thing a checker found: its kind, the device, the outcome it implies and a sentence.</summary>
public sealed record Finding(string Kind, string Device, Outcome Outcome, string Message);
