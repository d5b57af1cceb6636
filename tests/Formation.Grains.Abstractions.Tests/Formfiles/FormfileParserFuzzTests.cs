using System.Text;
using Formation.Formfiles;

namespace Formation.Grains.Abstractions.Tests.Formfiles;

/// <summary>Throws mutated Formfiles at the parser: no exception escapes and every rejection has a position.</summary>
public class FormfileParserFuzzTests
{
    private const int Iterations = 12_000;
    private const int Seed = 20_261_125;

    private const string Seed0 = """
        # every directive once
        NAME fuzz-app
        DESCRIPTION "fuzzing seed"
        FROM debian:bookworm
        MODEL preferred:llama3
        USER username:dev passwd:"p w" ssh_authorized_keys:"ssh-ed25519 AAAA a@b" sudo:true groups:adm,docker \
             shell:/bin/bash lock_passwd:false chpasswd_expire:true ssh_pwauth:false disable_root:true
        VCPU 2
        MEM 2G
        DISK 5
        GPU H100:2
        RUN echo "hi" && \
            ls /
        COPY ./app "my dir" /app
        INSTALL python3 curl
        ENV --scope=user:dev EDITOR=vim
        ENV A=1 B="two words"
        WORKDIR /app
        ENTRYPOINT ["python3", "server.py"]
        EXPOSE 80 53/udp
        """;

    private static readonly string[] Fragments =
        ["\\", "\\\n", "\n", "\r\n", "\"", "'", "[", "]", ",", ":", "=", "#", " ", "\t", "--scope=", "user:", "/", "..", "0", "-1",
         "99999999999", "\u00e9", "\u2028", "\0", "{", "}", "$6$", "RUN", "USER", "ENV", "COPY", "ENTRYPOINT", "FROM tiny", "INSTALL x"];

    [Fact]
    public void Parse_MutatedFormfiles_NeverThrowAndAlwaysLocateErrors()
    {
        var random = new Random(Seed);
        var corpus = new List<string> { Seed0 };
        corpus.AddRange(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Formfiles", "Examples")).Select(File.ReadAllText));
        var accepted = 0;
        var rejected = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var text = Mutate(corpus[random.Next(corpus.Count)], random);
            FormfileParseResult result;
            try
            {
                result = FormfileParser.Parse(text, "fuzz.Formfile");
            }
            catch (Exception ex)
            {
                Assert.Fail($"iteration {i}: {ex}\n--- input ---\n{text}");
                return;
            }

            var lineCount = text.Split('\n').Length;
            foreach (var d in result.Diagnostics)
            {
                Assert.NotEqual(FormfileDiagnosticCodes.Internal, d.Code);
                Assert.InRange(d.Line, 1, lineCount);
                Assert.True(d.Column >= 1, $"iteration {i}: {d}");
                Assert.False(string.IsNullOrWhiteSpace(d.Message));
                Assert.Equal("fuzz.Formfile", d.File);
                if (d.Severity == DiagnosticSeverity.Error)
                {
                    Assert.False(string.IsNullOrWhiteSpace(d.Suggestion), $"iteration {i}: {d}");
                }
            }

            if (result.Succeeded)
            {
                Assert.Empty(result.Errors);
                accepted++;
            }
            else
            {
                Assert.NotEmpty(result.Errors);
                rejected++;
            }
        }

        // Both outcomes must be well represented, or the mutations are not exercising the parser.
        Assert.True(accepted > Iterations / 20, $"accepted {accepted}");
        Assert.True(rejected > Iterations / 4, $"rejected {rejected}");
    }

    private static string Mutate(string text, Random random)
    {
        var count = random.Next(1, 6);
        for (var m = 0; m < count; m++)
        {
            text = random.Next(9) switch
            {
                0 => DeleteRange(text, random),
                1 => Insert(text, random, Fragments[random.Next(Fragments.Length)]),
                2 => Insert(text, random, ((char)random.Next(1, 0x3000)).ToString()),
                3 => SwapLines(text, random),
                4 => DuplicateLine(text, random),
                5 => text[..random.Next(text.Length + 1)],
                6 => ReplaceWord(text, random),
                7 => FlipCase(text, random),
                _ => Insert(text, random, RandomLine(random)),
            };
        }

        return text;
    }

    private static string DeleteRange(string text, Random random)
    {
        if (text.Length == 0)
        {
            return text;
        }

        var start = random.Next(text.Length);
        return text.Remove(start, Math.Min(text.Length - start, random.Next(1, 8)));
    }

    private static string Insert(string text, Random random, string fragment) => text.Insert(random.Next(text.Length + 1), fragment);

    private static string SwapLines(string text, Random random)
    {
        var lines = text.Split('\n');
        var (a, b) = (random.Next(lines.Length), random.Next(lines.Length));
        (lines[a], lines[b]) = (lines[b], lines[a]);
        return string.Join('\n', lines);
    }

    private static string DuplicateLine(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        var i = random.Next(lines.Count);
        lines.Insert(i, lines[i]);
        return string.Join('\n', lines);
    }

    private static string ReplaceWord(string text, Random random)
    {
        var words = text.Split(' ');
        words[random.Next(words.Length)] = Fragments[random.Next(Fragments.Length)];
        return string.Join(' ', words);
    }

    private static string FlipCase(string text, Random random)
    {
        if (text.Length == 0)
        {
            return text;
        }

        var chars = text.ToCharArray();
        var i = random.Next(chars.Length);
        chars[i] = char.IsUpper(chars[i]) ? char.ToLowerInvariant(chars[i]) : char.ToUpperInvariant(chars[i]);
        return new string(chars);
    }

    private static string RandomLine(Random random)
    {
        var builder = new StringBuilder("\n");
        var parts = random.Next(1, 5);
        for (var i = 0; i < parts; i++)
        {
            builder.Append(Fragments[random.Next(Fragments.Length)]).Append(' ');
        }

        return builder.Append('\n').ToString();
    }
}
