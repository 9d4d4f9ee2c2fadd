using System.Text.RegularExpressions;
using DiffPlex;
using DiffPlex.Chunkers;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace Drechtsteden.Decisions.Processes;

public enum DiffKind
{
    Unchanged,
    Inserted,
    Deleted,
}

/// <summary>A run of words in a word-level diff against the concept.</summary>
public sealed record DiffSegment(DiffKind Kind, string Text);

/// <summary>What "identical" (gelijkluidend) means for texts, and how two texts differ word by word.</summary>
public static partial class TextComparison
{
    /// <summary>Whitespace normalization: runs of whitespace (spaces, tabs, line breaks) count as one space; ends are trimmed.</summary>
    public static string Normalize(string? text) => Whitespace().Replace(text ?? "", " ").Trim();

    public static bool AreIdentical(string? a, string? b) => string.Equals(Normalize(a), Normalize(b), StringComparison.Ordinal);

    /// <summary>Word-level diff from <paramref name="concept"/> to <paramref name="adopted"/> (DiffPlex), adjacent runs merged.</summary>
    public static IReadOnlyList<DiffSegment> WordDiff(string concept, string adopted)
    {
        var model = new InlineDiffBuilder(new Differ()).BuildDiffModel(Normalize(concept), Normalize(adopted), false, false, new WordChunker());
        var segments = new List<DiffSegment>();
        foreach (var piece in model.Lines)
        {
            var kind = piece.Type switch
            {
                ChangeType.Inserted => DiffKind.Inserted,
                ChangeType.Deleted => DiffKind.Deleted,
                _ => DiffKind.Unchanged,
            };
            if (segments.Count > 0 && segments[^1].Kind == kind)
                segments[^1] = segments[^1] with { Text = segments[^1].Text + piece.Text };
            else
                segments.Add(new DiffSegment(kind, piece.Text));
        }
        return segments;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
