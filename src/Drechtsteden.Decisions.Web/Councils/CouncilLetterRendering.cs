using System.Text;
using Drechtsteden.Decisions.Processes;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Drechtsteden.Decisions.Web.Councils;

/// <summary>
/// A council's copy of the raadsinformatiebrief as HTML (the page, printable) and as a Word document (.docx, Open XML
/// SDK): the same header lines, the one body from Markdown (Markdig; raw HTML in it is shown as text, never run), and
/// the body's hash in the footer.
/// </summary>
public static class CouncilLetterRendering
{
    /// <summary>CommonMark with tables and lists as people write them; HTML in the Markdown is escaped, not passed on.</summary>
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseEmphasisExtras().DisableHtml().Build();

    public const string DocxContentType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

    /// <summary>The body as HTML, safe to put in a page.</summary>
    public static string BodyHtml(string markdown) => Markdown.ToHtml(markdown, Pipeline);

    public static string FileName(CouncilLetterCopy copy, string extension) =>
        $"raadsinformatiebrief-{copy.Reference}-{copy.MunicipalityCode}{(copy.IsDraft ? "-concept" : "")}.{extension}";

    /// <summary>The copy as a Word document: header lines, the body, and the hash in every page's footer.</summary>
    public static byte[] Docx(CouncilLetterCopy copy)
    {
        using var stream = new MemoryStream();
        using (var document = WordprocessingDocument.Create(stream, WordprocessingDocumentType.Document))
        {
            var main = document.AddMainDocumentPart();
            AddStyles(main);
            var body = new Body();
            body.Append(Paragraph("Heading1", Run("Raadsinformatiebrief" + (copy.IsDraft ? " (concept)" : ""))));
            foreach (var (label, value) in copy.Header)
                body.Append(Paragraph(null, Run(label + ": ", bold: true), Run(value)));
            body.Append(Paragraph(null));
            foreach (var block in Markdown.Parse(copy.Body, Pipeline))
                AppendBlock(body, block, 0);

            var footerPart = main.AddNewPart<FooterPart>();
            footerPart.Footer = new Footer(Paragraph("Footer", Run(copy.Footer)));
            var footerId = main.GetIdOfPart(footerPart);
            body.Append(new SectionProperties(
                new FooterReference { Type = HeaderFooterValues.Default, Id = footerId },
                new PageSize { Width = 11906U, Height = 16838U },
                new PageMargin { Top = 1418, Bottom = 1418, Left = 1418U, Right = 1418U, Header = 709U, Footer = 709U, Gutter = 0U }));
            main.Document = new Document(body);
            document.PackageProperties.Title = $"Raadsinformatiebrief {copy.Title}";
            document.PackageProperties.Subject = copy.Footer;
        }
        return stream.ToArray();
    }

    private static void AppendBlock(Body body, Block block, int listDepth)
    {
        switch (block)
        {
            case HeadingBlock heading:
                body.Append(Paragraph(heading.Level <= 2 ? "Heading2" : "Heading3", [.. Inlines(heading.Inline)]));
                break;
            case ParagraphBlock paragraph:
                body.Append(Paragraph(null, [.. Inlines(paragraph.Inline)]));
                break;
            case ListBlock list:
                var number = int.TryParse(list.OrderedStart, out var start) ? start : 1;
                foreach (var item in list.OfType<ListItemBlock>())
                {
                    var marker = list.IsOrdered ? $"{number++}. " : "• ";
                    var first = true;
                    foreach (var child in item)
                    {
                        if (first && child is ParagraphBlock p)
                        {
                            var paragraph = Paragraph(null, [Run(marker), .. Inlines(p.Inline)]);
                            paragraph.ParagraphProperties ??= new ParagraphProperties();
                            paragraph.ParagraphProperties.Append(new Indentation { Left = (360 * (listDepth + 1)).ToString(System.Globalization.CultureInfo.InvariantCulture), Hanging = "360" });
                            body.Append(paragraph);
                        }
                        else
                        {
                            AppendBlock(body, child, listDepth + 1);
                        }
                        first = false;
                    }
                }
                break;
            case QuoteBlock quote:
                foreach (var child in quote)
                    AppendBlock(body, child, listDepth);
                break;
            case LeafBlock { Lines.Count: > 0 } code when block is CodeBlock:
                foreach (var line in code.Lines.Lines.Take(code.Lines.Count))
                    body.Append(Paragraph(null, Run(line.ToString())));
                break;
            case ThematicBreakBlock:
                body.Append(Paragraph(null, Run("———")));
                break;
            case Markdig.Extensions.Tables.Table table:
                foreach (var row in table.OfType<Markdig.Extensions.Tables.TableRow>())
                {
                    var cells = row.OfType<Markdig.Extensions.Tables.TableCell>()
                        .Select(c => string.Join(" ", c.OfType<ParagraphBlock>().Select(p => PlainText(p.Inline))));
                    body.Append(Paragraph(null, Run(string.Join(" | ", cells), bold: row.IsHeader)));
                }
                break;
            case ContainerBlock container:
                foreach (var child in container)
                    AppendBlock(body, child, listDepth);
                break;
        }
    }

    private static List<OpenXmlElement> Inlines(ContainerInline? inlines, bool bold = false, bool italic = false)
    {
        var runs = new List<OpenXmlElement>();
        for (var inline = inlines?.FirstChild; inline is not null; inline = inline.NextSibling)
        {
            switch (inline)
            {
                case LiteralInline literal:
                    runs.Add(Run(literal.Content.ToString(), bold, italic));
                    break;
                case CodeInline code:
                    runs.Add(Run(code.Content, bold, italic));
                    break;
                case LineBreakInline { IsHard: true }:
                    runs.Add(new Run(new Break()));
                    break;
                case LineBreakInline:
                    runs.Add(Run(" ", bold, italic));
                    break;
                case EmphasisInline emphasis:
                    runs.AddRange(Inlines(emphasis, bold || emphasis.DelimiterCount >= 2, italic || emphasis.DelimiterCount == 1));
                    break;
                case LinkInline link:
                    runs.AddRange(Inlines(link, bold, italic));
                    if (!string.IsNullOrEmpty(link.Url) && link.Url != PlainText(link))
                        runs.Add(Run($" ({link.Url})", bold, italic));
                    break;
                case AutolinkInline autolink:
                    runs.Add(Run(autolink.Url, bold, italic));
                    break;
                case HtmlEntityInline entity:
                    runs.Add(Run(entity.Transcoded.ToString(), bold, italic));
                    break;
                case ContainerInline container:
                    runs.AddRange(Inlines(container, bold, italic));
                    break;
            }
        }
        return runs;
    }

    private static string PlainText(ContainerInline? inlines)
    {
        var text = new StringBuilder();
        for (var inline = inlines?.FirstChild; inline is not null; inline = inline.NextSibling)
        {
            text.Append(inline switch
            {
                LiteralInline literal => literal.Content.ToString(),
                CodeInline code => code.Content,
                LineBreakInline => " ",
                ContainerInline container => PlainText(container),
                _ => "",
            });
        }
        return text.ToString();
    }

    /// <remarks>An array, not an IEnumerable: every OpenXmlElement is itself an IEnumerable of its children, so a single run
    /// would bind as the collection and its children would be moved out of it.</remarks>
    private static Paragraph Paragraph(string? style, params OpenXmlElement[] runs)
    {
        var paragraph = new Paragraph();
        if (style is not null)
            paragraph.Append(new ParagraphProperties(new ParagraphStyleId { Val = style }));
        paragraph.Append(runs);
        return paragraph;
    }

    private static Run Run(string text, bool bold = false, bool italic = false)
    {
        var run = new Run();
        if (bold || italic)
        {
            var properties = new RunProperties();
            if (bold)
                properties.Append(new Bold());
            if (italic)
                properties.Append(new Italic());
            run.Append(properties);
        }
        run.Append(new Text(text) { Space = SpaceProcessingModeValues.Preserve });
        return run;
    }

    /// <summary>Word's own style names, so the headings show in its navigation pane; a plain sans-serif as the letter's face.</summary>
    private static void AddStyles(MainDocumentPart main)
    {
        Style Heading(string id, string name, int halfPoints) => new(
            new StyleName { Val = name }, new BasedOn { Val = "Normal" }, new NextParagraphStyle { Val = "Normal" }, new PrimaryStyle(),
            new StyleParagraphProperties(new KeepNext(), new SpacingBetweenLines { Before = "240", After = "120" },
                new OutlineLevel { Val = int.Parse(id[^1..], System.Globalization.CultureInfo.InvariantCulture) - 1 }),
            new StyleRunProperties(new Bold(), new FontSize { Val = halfPoints.ToString(System.Globalization.CultureInfo.InvariantCulture) }))
        { Type = StyleValues.Paragraph, StyleId = id };

        var styles = main.AddNewPart<StyleDefinitionsPart>();
        styles.Styles = new Styles(
            new DocDefaults(
                new RunPropertiesDefault(new RunPropertiesBaseStyle(
                    new RunFonts { Ascii = "Arial", HighAnsi = "Arial", ComplexScript = "Arial" }, new FontSize { Val = "22" }, new Languages { Val = "nl-NL" })),
                new ParagraphPropertiesDefault(new ParagraphPropertiesBaseStyle(new SpacingBetweenLines { After = "120", Line = "276", LineRule = LineSpacingRuleValues.Auto }))),
            new Style(new StyleName { Val = "Normal" }, new PrimaryStyle()) { Type = StyleValues.Paragraph, StyleId = "Normal", Default = true },
            Heading("Heading1", "heading 1", 32),
            Heading("Heading2", "heading 2", 26),
            Heading("Heading3", "heading 3", 24),
            new Style(new StyleName { Val = "footer" }, new BasedOn { Val = "Normal" }, new StyleRunProperties(new FontSize { Val = "16" }))
            { Type = StyleValues.Paragraph, StyleId = "Footer" });
    }
}
