Console.WriteLine("AgentDemo arrives with the plugin: see README.");
