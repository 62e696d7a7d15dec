return await FastAttn.Cli.CliApp.RunAsync(args);
