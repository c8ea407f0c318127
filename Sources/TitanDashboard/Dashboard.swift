import TitanAdmin
