"""The reference PyTorch trainer's pieces: config, data windows, the GPT, the Ladder trainer protocol."""
