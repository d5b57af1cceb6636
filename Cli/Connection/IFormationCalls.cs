using Formation.LocalApi;

namespace Formation.Cli.Connection;

/// <summary>What the front door offers a command: the reads and the retry-safe writes, over whichever path answered.</summary>
public interface IFormationCalls : IFormationReads, IFormationWrites;
