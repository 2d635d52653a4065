/**
 * The HTML document around a template's body: UTF-8, a viewport for phones,
 * and the type set inline on <body>, since many mail clients drop <style>.
 * `title` is the template's own constant, never user data: it becomes part
 * of the Handlebars source.
 */
export function htmlDocument(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
</head>
<body style="margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1f2933;">
${body}</body>
</html>
`;
}
