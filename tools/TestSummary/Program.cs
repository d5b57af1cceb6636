using Formation.TestSummary;

// formation-test-summary [--allowed-skips FILE] [--unmarked-slow-over SECONDS] RESULTS.trx...
// Prints the skipped tests by reason, the failed tests, problems with the result files, then
// "N passed, N failed, N skipped". With --allowed-skips (CI), a skip whose reason the file does not allow fails the run.
const string Usage = "usage: formation-test-summary [--allowed-skips FILE] [--unmarked-slow-over SECONDS] RESULTS.trx...";
SkipAllowList? allowed = null;
TimeSpan? unmarkedSlowOver = null;
var paths = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--allowed-skips" when i + 1 < args.Length:
            var list = args[++i];
            if (!File.Exists(list))
            {
                Console.Error.WriteLine($"formation-test-summary: the skip allow-list {list} does not exist");
                return 2;
            }

            allowed = SkipAllowList.Load(list);
            break;
        case "--unmarked-slow-over" when i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var seconds):
            unmarkedSlowOver = TimeSpan.FromSeconds(seconds);
            i++;
            break;
        case var option when option.StartsWith('-'):
            Console.Error.WriteLine($"formation-test-summary: '{option}' is not an option or lacks its value\n{Usage}");
            return 2;
        default:
            paths.Add(args[i]);
            break;
    }
}

if (paths.Count == 0)
{
    Console.Error.WriteLine($"formation-test-summary: no TRX files given\n{Usage}");
    return 2;
}

return new RunSummary(paths.Select(TrxFile.Load).ToList(), allowed, unmarkedSlowOver).Write(Console.Out);
