return await Formation.Cli.FormApp.RunAsync(args);
